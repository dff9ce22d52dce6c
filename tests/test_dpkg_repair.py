"""kiosk/dpkg_repair.py without dpkg: its parsers fed real, garbage and cut-off output, and the repair's
decisions against a scripted runner. The same code against real dpkg and apt in a private root:
tests/test_updates.py (an install killed midway, an update cut short)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.dpkg_repair import Dpkg, PackageState, parse_options, parse_removals, parse_status

STATUS = ("kiosk\t0.1.0+git281\tinstall ok installed\n"
          "libc6:amd64\t2.36-9+deb12u9\tinstall ok installed\n"
          "probe\t1.0\tinstall reinstreq half-installed\n"
          "other\t2:1.2~rc1-3\tinstall ok half-configured\n"
          "gone\t\tdeinstall ok config-files\n"
          "never\t\tpurge ok not-installed\n")
OPTIONS = "\n--root=/tmp/r\n--admindir=/tmp/r/var/lib/dpkg\n--force-script-chrootless\n"
SIMULATED = ("Reading package lists...\nThe following packages will be REMOVED:\n  kiosk\n"
             "Remv kiosk [0.1.0]\nInst probe [1.0] (1.0 stable [all])\nConf probe (1.0 stable [all])\n")


def test_dpkg_states_are_read_as_dpkg_writes_them() -> None:
    found = parse_status(STATUS)
    assert set(found) == {"kiosk", "libc6:amd64", "probe", "other", "gone", "never"}
    assert found["other"] == PackageState("other", "2:1.2~rc1-3", "install", "ok", "half-configured")
    assert [n for n, s in found.items() if not s.settled] == ["probe", "other"]
    assert str(found["probe"]) == "probe 1.0 (half-installed, reinstall required)"
    assert parse_options(OPTIONS) == ["--root=/tmp/r", "--admindir=/tmp/r/var/lib/dpkg", "--force-script-chrootless"]
    assert parse_removals(SIMULATED) == ["kiosk"]


@given(st.text(max_size=400))
def test_garbage_never_breaks_the_parsers(text: str) -> None:
    for state in parse_status(text).values():
        assert state.status and state.flag in ("ok", "reinstreq")
    assert all(o.startswith("-") for o in parse_options(text))
    assert all(" " not in name for name in parse_removals(text))


@given(st.integers(min_value=0, max_value=len(STATUS)))
def test_cut_off_output_only_loses_lines(cut: int) -> None:
    """A state read from output cut short is a state of the whole output (never a shortened one)."""
    whole, part = parse_status(STATUS), parse_status(STATUS[:cut])
    assert all(whole[name] == state for name, state in part.items())


class Scripted:
    """A runner answering each tool from a script; records what was run."""

    def __init__(self, states: list[str], *, configure: int = 0, simulate: str = "", simulate_code: int = 0,
                 options: tuple[int, str] = (0, OPTIONS)) -> None:
        self.states, self.configure, self.simulate, self.simulate_code = states, configure, simulate, simulate_code
        self.options = options
        self.ran: list[str] = []

    def __call__(self, argv: list[str]) -> tuple[int | None, str, str]:
        tool = argv[0]
        if tool == "apt-config":
            return self.options[0], self.options[1], ""
        if tool == "dpkg-query":
            assert "--admindir=/tmp/r/var/lib/dpkg" in argv and "--force-script-chrootless" not in argv
            return 0, self.states.pop(0) if len(self.states) > 1 else self.states[0], ""
        if tool == "dpkg":
            self.ran.append(" ".join(a for a in argv[1:] if not a.startswith("--") or a == "--configure"))
            assert "--root=/tmp/r" in argv  # apt's options: the same root as apt's
            return self.configure, "", "dpkg: error processing package other (--configure):\n" if self.configure else ""
        if argv[:2] == ["apt-get", "-s"]:
            return self.simulate_code, self.simulate, "E: broken" if self.simulate_code else ""
        self.ran.append("apt-get -f install")
        return 0, "", ""


def test_nothing_pending_is_one_cheap_configure() -> None:
    run = Scripted(["kiosk\t1.0\tinstall ok installed\n"])
    assert Dpkg(run).repair() == (True, "dpkg consistent") and run.ran == ["--configure -a"]


def test_what_configure_leaves_unfinished_goes_to_apt() -> None:
    run = Scripted(["other\t1\tinstall ok half-configured\n", "other\t1\tinstall ok installed\n"])
    assert Dpkg(run).repair() == (True, "apt-get -f install done")
    assert run.ran == ["--configure -a", "apt-get -f install"]


def test_apt_repairs_what_configure_cannot() -> None:
    run = Scripted(["probe\t1.0\tinstall reinstreq half-installed\n", "probe\t1.0\tinstall ok installed\n"],
                   configure=1, simulate="Inst probe [1.0] (1.0 stable [all])\n")
    ok, detail = Dpkg(run).repair()
    assert ok and run.ran == ["--configure -a", "apt-get -f install"]
    assert "dpkg --configure -a failed: dpkg: error processing package other" in detail


def test_a_repair_that_would_remove_a_package_is_not_done() -> None:
    run = Scripted(["probe\t1.0\tinstall reinstreq half-installed\n"], simulate=SIMULATED)
    ok, detail = Dpkg(run).repair()
    assert not ok and "apt-get -f install" not in run.ran
    assert "would remove kiosk: not done" in detail and "still unfinished: probe 1.0 (half-installed" in detail


def test_unreadable_answers_fail_the_repair_plainly() -> None:
    assert Dpkg(Scripted(["garbage\x00\n"])).repair() == (False, "dpkg's package states could not be read")
    ok, detail = Dpkg(Scripted([""], options=(100, ""))).repair()
    assert not ok and "apt-config could not say how dpkg is called" in detail
    run = Scripted(["probe\t1.0\tinstall reinstreq half-installed\n"], simulate_code=100)
    ok, detail = Dpkg(run).repair()
    assert not ok and "apt-get -f install cannot repair: E: broken" in detail


@given(st.text(max_size=200), st.text(max_size=200), st.sampled_from([0, 1, 2, 100, None]))
def test_any_answer_gives_a_plain_result(out: str, err: str, code: int | None) -> None:
    ok, detail = Dpkg(lambda argv: (code, out, err)).repair()
    assert isinstance(ok, bool) and isinstance(detail, str) and len(detail) < 2000
    assert Dpkg(lambda argv: (code, out, err)).install_file(Path("/nonexistent/k.deb"))[1].startswith("dpkg -i")
