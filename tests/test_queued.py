"""The UI thread's queued delivery without PySide's Qt namespace (screens/queued.py, screens/tasks.py)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot

from screens.queued import QueuedEmitter
from screens.tasks import TaskRunner


class _Receiver(QObject):
    got = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[object, int]] = []
        self.got.connect(self.on_got)
        self.later = QueuedEmitter(self, self.got)

    @Slot(object)
    def on_got(self, value: object) -> None:
        self.calls.append((value, threading.get_ident()))


def test_emitted_on_the_ui_thread_arrives_after_the_current_event(qtbot) -> None:
    r = _Receiver()
    r.later.emit("now")
    assert r.calls == []  # never inside the emitter's call
    qtbot.waitUntil(lambda: r.calls == [("now", threading.get_ident())])


def test_emitted_from_a_worker_arrives_on_the_ui_thread(qtbot) -> None:
    r = _Receiver()
    worker = threading.Thread(target=lambda: r.later.emit("from worker"))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(r.calls) == 1)
    assert r.calls == [("from worker", threading.get_ident())]


def test_a_gone_owner_gets_nothing(qtbot) -> None:
    import shiboken6

    r = _Receiver()
    later = r.later
    later.emit("late")
    shiboken6.delete(r)  # gone before the event loop turns: the queued call is dropped, no error
    qtbot.wait(50)
    assert not shiboken6.isValid(r)


def test_task_done_runs_on_the_ui_thread_in_order(qtbot) -> None:
    tasks = TaskRunner()
    done: list[tuple[int, int]] = []
    for i in range(20):  # some finish before add_done_callback: those are delivered from the UI thread
        tasks.run("disk", lambda i=i: i, lambda v: done.append((v, threading.get_ident())))
    assert done == []  # never delivered inside run()
    qtbot.waitUntil(lambda: len(done) == 20)
    assert [v for v, _ in done] == list(range(20))
    assert {t for _, t in done} == {threading.get_ident()}
    tasks.shutdown()
