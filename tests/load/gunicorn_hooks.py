"""gunicorn settings of the reliability suites (`gunicorn -c python:tests.load.gunicorn_hooks`): a worker
says when it has loaded the app, so a measurement starts when every worker can answer, not while they are
still importing (several seconds each on a busy two-core machine)."""


def post_worker_init(worker):
    worker.log.info("Worker ready (pid: %s)", worker.pid)
