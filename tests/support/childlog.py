"""A child process's stderr, read whole from its start by a thread.

Reading a few lines with `for line in proc.stderr` and the rest with `proc.communicate(timeout=...)`
loses lines: the loop's buffered read may already hold the lines after the one it stopped at, and
communicate with a timeout reads the pipe's file descriptor, not that buffer. A test asserting a
start-up line (or its absence) then failed, or passed, by the scheduler's whim."""

from __future__ import annotations

import re
import subprocess
import threading
import time


class ChildLog:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None, "start the process with stderr=subprocess.PIPE, text=True"
        self.proc = proc
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:  # closed once the process has closed its end
            for line in self.proc.stderr:
                with self.changed:
                    self.lines.append(line)
                    self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first line matching `pattern`; fails with every line so far if the process ends
        (or the timeout passes) first."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                for line in self.lines[seen:]:
                    if found := re.search(pattern, line):
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if not self.reader.is_alive() or left <= 0:
                    raise AssertionError(f"no line matching {pattern!r}:\n{self.text()}")
                self.changed.wait(min(left, 0.5))

    def finish(self, timeout: float = 30) -> str:
        """Waits for the process to exit and its stderr to close; everything it wrote."""
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout)
        return self.text()

    def text(self) -> str:
        return "".join(self.lines)
