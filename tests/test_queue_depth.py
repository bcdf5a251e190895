"""waitress's "Task queue depth is N", said once and then summed up once a minute (bot.runtime.server.QueueDepth),
not once per request queued behind busy threads."""

import logging

from bot.runtime import server


def test_a_burst_is_one_line_then_one_summary_a_minute(caplog):
    depth = server.QueueDepth(logging.getLogger("waitress.queue"), every=0.2)
    with caplog.at_level(logging.WARNING, logger="waitress.queue"):
        for n in range(1, 300):
            depth.warning("Task queue depth is %d", min(n, 12))
        assert [r.getMessage() for r in caplog.records] == ["Task queue depth is 1"]

        server.time.sleep(0.25)
        depth.warning("Task queue depth is %d", 3)
    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage().startswith("299 request(s) waited for a thread in the last ")
    assert caplog.records[1].getMessage().endswith("queue depth up to 12")


def test_the_server_relais_serves_with_uses_it():
    http = server.create(lambda environ, start_response: [], "127.0.0.1", 0)
    try:
        assert isinstance(http.task_dispatcher.queue_logger, server.QueueDepth)
    finally:
        http.close()
        http.task_dispatcher.shutdown(timeout=1)
