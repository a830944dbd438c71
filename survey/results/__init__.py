"""Results: the rollup of answer counts (rollups), periods and filters, the dashboard's numbers
(dashboard), charts drawn as SVG (charts, canvas), the response browser, the survey list's counts
(overview) and the weekly scorecard email."""
