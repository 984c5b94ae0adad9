#!/usr/bin/env python3
"""help lists every method by category and gives Core-style help for each."""
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in

CONTROL = ["getrpcinfo", "help", "logging", "stop", "uptime"]


class HelpTest(IopTestFramework):
    def run_test(self):
        rpc = self.nodes[0].rpc
        text = rpc.help()
        lines = text.split("\n")
        assert_equal(lines[0], "== Blockchain ==")
        assert_in("== Control ==", lines)
        names = [l.split(" ")[0] for l in lines if l and not l.startswith("==")]
        # Sorted within each category, categories in order (as Core).
        headings = [l for l in lines if l.startswith("==")]
        assert_equal(headings, sorted(headings))
        for section in text.split("\n\n"):
            part = [l.split(" ")[0] for l in section.split("\n") if l and not l.startswith("==")]
            assert_equal(part, sorted(part))
        for m in CONTROL:
            assert_in(m, names)
        self.log("help METHOD for each of %d methods" % len(names))
        for m in names:
            h = rpc.help(m)
            assert h.startswith(m), h
            assert_equal(h.split("\n")[1], "")
            assert not h.endswith("\n")
            assert_in(h.split("\n")[0], lines)
            if m != "help":
                # Core writes "Result (for verbosity = 0):" for several result forms.
                assert "Result:" in h or "Result (" in h, h
        assert_equal(rpc.help("nosuch"), "help: unknown command: nosuch")
        assert_in("Examples:", rpc.help("uptime"))
        assert_in("active_commands", rpc.help("getrpcinfo"))


if __name__ == "__main__":
    run(HelpTest)
