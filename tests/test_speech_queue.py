"""kiosk.speech_queue: order, priority, no cut-off, coalescing (pure unit tests, no Qt, no audio)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.speech_queue import Priority, SpeechQueue, Utterance

G, P, A = Priority.GUIDANCE, Priority.PROMPT, Priority.ALERT


class Player:
    """Records what was started and what was interrupted; the test ends each utterance."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.interrupted: list[str] = []
        self.queue = SpeechQueue(self.play, self.interrupt)

    def play(self, u: Utterance) -> None:
        self.started.append(u.text)

    def interrupt(self) -> None:
        assert self.queue.current is not None
        self.interrupted.append(self.queue.current.text)

    def finish_all(self) -> list[str]:
        while self.queue.current is not None:
            self.queue.finished()
        return self.started


def test_title_then_choices_in_order_without_cutting_off() -> None:
    """GIVEN a screen's title and its choices WHEN queued together THEN each is said whole, in order."""
    p = Player()
    p.queue.say("请选择服务", "zh-CN", new_screen=True)
    p.queue.say("个人证照", "zh-CN")
    p.queue.say("企业证照", "zh-CN")
    assert p.started == ["请选择服务"] and p.interrupted == []
    assert p.finish_all() == ["请选择服务", "个人证照", "企业证照"]
    assert not p.queue.busy


def test_alert_interrupts_guidance_and_goes_first() -> None:
    p = Player()
    p.queue.say("标题", "zh-CN", new_screen=True)
    p.queue.say("选项", "zh-CN")
    p.queue.say("读卡失败", "zh-CN", priority=A)
    assert p.interrupted == ["标题"]
    p.queue.finished()  # the player stopped the title
    assert p.started == ["标题", "读卡失败"]
    assert p.finish_all() == ["标题", "读卡失败", "选项"]


def test_alert_never_cuts_another_alert() -> None:
    p = Player()
    p.queue.say("请取走您的身份证", "zh-CN", priority=A)
    p.queue.say("已通知工作人员，请稍候", "zh-CN", priority=A)
    assert p.interrupted == []
    assert p.finish_all() == ["请取走您的身份证", "已通知工作人员，请稍候"]


def test_equal_priority_waits() -> None:
    p = Player()
    p.queue.say("请正对摄像头", "zh-CN", priority=P, channel="face")
    p.queue.say("还有 20 秒", "zh-CN", priority=P, channel="countdown")
    assert p.interrupted == []
    assert p.finish_all() == ["请正对摄像头", "还有 20 秒"]


def test_face_prompts_are_heard_whole_and_stale_ones_replaced() -> None:
    """A burst of face prompts every 0.1 s: the one being said finishes; only the newest queued follows."""
    p = Player()
    for key in ("靠近一点", "保持不动", "请眨眼", "请稍微转头"):
        p.queue.say(key, "zh-CN", priority=P, channel="face")
    assert p.interrupted == []
    assert p.finish_all() == ["靠近一点", "请稍微转头"]


def test_repeats_coalesce() -> None:
    p = Player()
    p.queue.say("保持不动", "zh-CN", priority=P, channel="face")
    p.queue.say("保持不动", "zh-CN", priority=P, channel="face")  # being said: dropped
    p.queue.say("您还在吗", "zh-CN")
    p.queue.say("您还在吗", "zh-CN")  # already queued: dropped
    assert p.finish_all() == ["保持不动", "您还在吗"]


def test_new_screen_drops_stale_guidance_but_not_prompts() -> None:
    p = Player()
    p.queue.say("旧标题", "zh-CN", new_screen=True)
    p.queue.say("旧选项", "zh-CN")
    p.queue.say("还有 10 秒", "zh-CN", priority=P, channel="countdown")
    p.queue.say("新标题", "zh-CN", new_screen=True)
    assert p.interrupted == []  # the old title is not cut off
    assert p.finish_all() == ["旧标题", "还有 10 秒", "新标题"]


def test_a_player_that_finishes_at_once_drains_in_order() -> None:
    said: list[str] = []
    queue: SpeechQueue

    def play(u: Utterance) -> None:
        said.append(u.text)
        queue.finished()

    queue = SpeechQueue(play)
    queue.say("一", "zh-CN")
    queue.say("二", "zh-CN")
    queue.say("三", "zh-CN", priority=A)
    assert said == ["一", "二", "三"] and not queue.busy


def test_clear_stops_and_forgets() -> None:
    p = Player()
    p.queue.say("标题", "zh-CN")
    p.queue.say("选项", "zh-CN")
    p.queue.clear()
    assert p.interrupted == ["标题"]
    assert p.finish_all() == ["标题"]


def test_blank_text_is_not_queued() -> None:
    p = Player()
    p.queue.say("  ", "zh-CN")
    assert p.started == [] and not p.queue.busy


_ITEMS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(list(Priority)),
                            st.sampled_from(["", "face", "countdown"]), st.booleans(), st.booleans()), max_size=30)


@given(_ITEMS)
def test_only_a_higher_priority_interrupts(items: list[tuple[str, Priority, str, bool, bool]]) -> None:
    """Whatever arrives: an interrupt happens only for an alert over a lower priority, at most once per
    utterance, and the queue always drains in non-increasing priority order between arrivals."""
    playing: list[Utterance] = []
    log: list[tuple[Priority, Priority]] = []
    queue: SpeechQueue

    def play(u: Utterance) -> None:
        playing.append(u)

    def interrupt() -> None:
        assert queue.current is not None
        log.append((queue.current.priority, queue.pending[0].priority))

    queue = SpeechQueue(play, interrupt)
    for text, priority, channel, new_screen, finish in items:
        before = len(log)
        queue.say(text, "zh-CN", priority=priority, channel=channel, new_screen=new_screen)
        assert len(log) - before <= 1
        priorities = [u.priority for u in queue.pending]
        assert priorities == sorted(priorities, reverse=True)
        if finish and queue.current is not None:
            queue.finished()
    assert all(new is A and old < A for old, new in log)
    while queue.current is not None:
        queue.finished()
    assert not queue.busy
