"""Results: the rollup of answer counts (rollups) and the one GROUP BY that reads it (counts), periods and
filters, the statistics settings (settings), the dashboard's numbers (dashboard), charts drawn as SVG
(charts, canvas), the response browser, the survey list's counts (overview) and the weekly scorecard email."""
