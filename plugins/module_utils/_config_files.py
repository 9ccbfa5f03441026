# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A set of files, directories and pruned directories made to match a description in one go.

The plan compares the host with the description and changes nothing. Applying it writes every new
content to a hidden temporary file beside its destination (validated there, if asked), then moves the
files into place, keeping what they replace under hidden rollback names; then runs the set's own check
(``validate``). When anything fails, every path is put back as it was.
"""

from __future__ import annotations

import errno
import fnmatch
import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import tempfile
import time
import typing as t

# Diffs of larger files are left out, as ansible.builtin.copy does by default.
MAX_DIFF_BYTES = 104448
ROLLBACK_SUFFIX = ".webstack-rollback~"


class ConfigFilesError(Exception):
    """A failure with a message for the user; ``details`` go into the module's result."""

    def __init__(self, message: str, **details: t.Any) -> None:
        super().__init__(message)
        self.details = details


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def parse_mode(mode: t.Any, what: str) -> int | None:
    if mode is None or mode == "":
        return None
    if isinstance(mode, int):
        return mode
    text = str(mode)
    try:
        value = int(text, 8)
    except ValueError:
        raise ConfigFilesError("%s: mode %r is not an octal number such as '0640'" % (what, mode))
    if not 0 <= value <= 0o7777:
        raise ConfigFilesError("%s: mode %r is out of range" % (what, mode))
    return value


def user_id(name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        if name.isdigit():
            return int(name)
        return -1


def group_id(name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        return -1


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


class Attributes:
    """Owner, group and mode wanted for a path; None leaves that attribute as it is."""

    def __init__(self, owner: str | None, group: str | None, mode: int | None) -> None:
        self.owner, self.group, self.mode = owner, group, mode
        self.uid, self.gid = user_id(owner), group_id(group)

    def unknown(self) -> list[str]:
        missing = []
        if self.uid == -1:
            missing.append("user %s" % self.owner)
        if self.gid == -1:
            missing.append("group %s" % self.group)
        return missing

    def differences(self, found: os.stat_result | None) -> dict[str, tuple[t.Any, t.Any]]:
        """Attribute: (found, wanted) for each one that differs; every wanted one for a missing path."""
        differences = {}
        if self.owner is not None and (found is None or found.st_uid != self.uid):
            differences["owner"] = (owner_name(found.st_uid) if found else None, self.owner)
        if self.group is not None and (found is None or found.st_gid != self.gid):
            differences["group"] = (group_name(found.st_gid) if found else None, self.group)
        if self.mode is not None and (found is None or stat.S_IMODE(found.st_mode) != self.mode):
            differences["mode"] = ("%04o" % stat.S_IMODE(found.st_mode) if found else None, "%04o" % self.mode)
        return differences

    def apply(self, path: str) -> None:
        if self.uid is not None or self.gid is not None:
            os.lchown(path, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)
        if self.mode is not None:
            os.chmod(path, self.mode)


class FileSpec:
    """One file: its content (or only the checksum of it), attributes, and how it is checked."""

    def __init__(self, spec: dict[str, t.Any], defaults: dict[str, t.Any]) -> None:
        self.dest: str = spec["dest"]
        if not os.path.isabs(self.dest):
            raise ConfigFilesError("files: dest %r is not an absolute path" % self.dest)
        self.state: str = spec.get("state") or "present"
        self.content: bytes | None = spec.get("content")
        self.checksum: str | None = sha1(self.content) if self.content is not None else spec.get("checksum")
        if self.state == "present" and self.checksum is None:
            raise ConfigFilesError("files: %s has neither content nor checksum" % self.dest)
        self.attributes = Attributes(
            spec.get("owner") if spec.get("owner") is not None else defaults.get("owner"),
            spec.get("group") if spec.get("group") is not None else defaults.get("group"),
            parse_mode(spec.get("mode") if spec.get("mode") is not None else defaults.get("mode"), self.dest))
        self.validate: str | None = spec.get("validate")
        self.secret: bool = bool(spec.get("secret"))
        self.touch: bool = bool(spec.get("touch"))
        self.keep_previous: bool = bool(spec.get("keep_previous"))
        self.report_size: bool = bool(spec.get("report_size"))
        if self.keep_previous and self.secret:
            raise ConfigFilesError("files: %s is secret, so its previous content cannot be returned" % self.dest)


class DirectorySpec:
    def __init__(self, spec: dict[str, t.Any], defaults: dict[str, t.Any]) -> None:
        self.path: str = spec["path"].rstrip("/") or "/"
        if not os.path.isabs(self.path):
            raise ConfigFilesError("directories: path %r is not an absolute path" % spec["path"])
        self.attributes = Attributes(
            spec.get("owner") if spec.get("owner") is not None else defaults.get("owner"),
            spec.get("group") if spec.get("group") is not None else defaults.get("group"),
            parse_mode(spec.get("mode") if spec.get("mode") is not None else defaults.get("directory_mode"),
                       self.path))
        # exists: created with these attributes when missing, an existing one left as it is.
        self.state: str = spec.get("state") or "present"
        self.prune: bool = bool(spec.get("prune"))
        self.prune_patterns: list[str] = list(spec.get("prune_patterns") or ["*"])
        self.recursive: bool = bool(spec.get("recursive"))


class Plan:
    """What a run would change, path by path."""

    def __init__(self) -> None:
        self.directories: list[tuple[DirectorySpec, bool, dict]] = []   # (spec, create, attribute differences)
        self.files: list[dict[str, t.Any]] = []
        self.pruned: list[str] = []
        self.sizes: dict[str, int] = {}

    @property
    def changed(self) -> bool:
        return bool(self.directories or self.files or self.pruned)

    def needs_content(self) -> list[str]:
        return [entry["spec"].dest for entry in self.files
                if entry["content_changed"] and entry["spec"].content is None]


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def file_checksum(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def make_plan(files: list[FileSpec], directories: list[DirectorySpec]) -> Plan:
    plan = Plan()
    for directory in directories:
        found = lstat(directory.path)
        if found is not None and not stat.S_ISDIR(found.st_mode):
            raise ConfigFilesError("%s exists and is not a directory" % directory.path)
        differences = directory.attributes.differences(found)
        if directory.state == "exists" and found is not None:
            continue
        if found is None or differences:
            plan.directories.append((directory, found is None, differences))

    wanted = {spec.dest for spec in files if spec.state != "absent"}
    for spec in files:
        found = lstat(spec.dest)
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise ConfigFilesError("%s is a directory, not a file" % spec.dest)
        entry: dict[str, t.Any] = dict(spec=spec, found=found, content_changed=False, differences={},
                                       touched=False, removed=False)
        if spec.report_size:
            plan.sizes[spec.dest] = found.st_size if found is not None and stat.S_ISREG(found.st_mode) else 0
        if spec.state == "absent":
            entry["removed"] = found is not None
        else:
            regular = found is not None and stat.S_ISREG(found.st_mode)
            if spec.state == "present":
                # A link or anything else at dest is replaced by the file, as ansible.builtin.copy does.
                entry["content_changed"] = not regular or file_checksum(spec.dest) != spec.checksum
            else:  # exists: created empty when missing, its content left alone
                entry["content_changed"] = not regular
            entry["differences"] = spec.attributes.differences(found if regular else None)
            entry["touched"] = spec.touch and not entry["content_changed"]
        if entry["content_changed"] or entry["differences"] or entry["touched"] or entry["removed"]:
            plan.files.append(entry)

    for directory in directories:
        if directory.prune:
            plan.pruned.extend(stale_paths(directory, wanted, {d.path for d in directories}))
    return plan


def stale_paths(directory: DirectorySpec, wanted_files: set[str], wanted_directories: set[str]) -> list[str]:
    """Paths under a pruned directory that nothing in the set describes; a stale directory stands for its
    whole content."""
    if not os.path.isdir(directory.path) or os.path.islink(directory.path):
        return []
    wanted = wanted_files | wanted_directories
    stale = []
    for root, dirnames, filenames in os.walk(directory.path):
        kept = []
        for name in sorted(dirnames):
            path = os.path.join(root, name)
            if os.path.islink(path) or not directory.recursive:
                if directory.recursive and path not in wanted_files and matches(directory, path):
                    stale.append(path)
            elif path in wanted_directories or any(other.startswith(path + "/") for other in wanted):
                kept.append(name)
            elif matches(directory, path):
                stale.append(path)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = os.path.join(root, name)
            if path not in wanted_files and matches(directory, path):
                stale.append(path)
    return stale


def matches(directory: DirectorySpec, path: str) -> bool:
    name = os.path.basename(path)
    if name.endswith(ROLLBACK_SUFFIX):
        return False
    return any(fnmatch.fnmatch(name, pattern) for pattern in directory.prune_patterns)


def read_text(path: str) -> str | None:
    """A small text file's content, or None when it is missing, larger than 100 KiB or binary."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_DIFF_BYTES:
            return None
        return text_for_diff(read_bytes(path))
    except OSError:
        return None


def text_for_diff(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if len(data) > MAX_DIFF_BYTES or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def describe(plan: Plan, with_diff: bool) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]]]:
    """The per-path results and the diffs (one per path) of a plan."""
    results, diffs = [], []
    for directory, create, differences in plan.directories:
        results.append(dict(path=directory.path, type="directory", state="created" if create else "attributes"))
        if with_diff:
            diffs.append(dict(before_header=directory.path, after_header=directory.path,
                              before=dict(path=directory.path, state="absent" if create else "directory",
                                          **{key: value[0] for key, value in differences.items() if not create}),
                              after=dict(path=directory.path, state="directory",
                                         **{key: value[1] for key, value in differences.items()})))
    for entry in plan.files:
        spec = entry["spec"]
        state = ("removed" if entry["removed"] else "created" if entry["found"] is None
                 else "content" if entry["content_changed"] else "touched" if entry["touched"] else "attributes")
        results.append(dict(path=spec.dest, type="file", state=state))
        if spec.keep_previous and (entry["content_changed"] or entry["removed"]):
            found = entry["found"]
            previous = read_bytes(spec.dest) if found is not None and stat.S_ISREG(found.st_mode) else None
            results[-1]["previous"] = text_for_diff(previous) if previous is not None else None
        if with_diff:
            diffs.extend(file_diffs(entry))
    for path in plan.pruned:
        is_directory = os.path.isdir(path) and not os.path.islink(path)
        results.append(dict(path=path, type="directory" if is_directory else "file", state="pruned"))
        if with_diff:
            before = read_bytes(path) if os.path.isfile(path) and not os.path.islink(path) else None
            text = "(directory and its content)\n" if is_directory else text_for_diff(before)
            diffs.append(dict(before_header=path, after_header="%s (removed)" % path,
                              before=text if text is not None else "(not shown)\n", after=""))
    return results, diffs


def file_diffs(entry: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    spec, found = entry["spec"], entry["found"]
    diffs = []
    if entry["removed"]:
        if spec.secret:
            before = "(secret)\n"
        else:
            before = (text_for_diff(read_bytes(spec.dest)) if stat.S_ISREG(found.st_mode) else "") or ""
        diffs.append(dict(before_header=spec.dest, after_header="%s (removed)" % spec.dest, before=before, after=""))
        return diffs
    if entry["content_changed"] and spec.state == "present":
        header_before = spec.dest if found is not None else "%s (absent)" % spec.dest
        if spec.secret:
            diffs.append(dict(before_header=header_before, after_header=spec.dest,
                              prepared="%s: secret content changed (not shown)" % spec.dest))
        else:
            before = read_bytes(spec.dest) if found is not None and stat.S_ISREG(found.st_mode) else b""
            before_text, after_text = text_for_diff(before), text_for_diff(spec.content)
            if spec.content is None:
                diffs.append(dict(before_header=header_before, after_header=spec.dest,
                                  prepared="%s: content changed (new content not sent)" % spec.dest))
            elif before_text is None or after_text is None:
                diffs.append(dict(before_header=header_before, after_header=spec.dest,
                                  prepared="%s: content changed (large or binary, not shown)" % spec.dest))
            else:
                diffs.append(dict(before_header=header_before, after_header=spec.dest,
                                  before=before_text, after=after_text))
    if entry["differences"] and found is not None:
        diffs.append(dict(before_header=spec.dest, after_header=spec.dest,
                          before={key: value[0] for key, value in entry["differences"].items()},
                          after={key: value[1] for key, value in entry["differences"].items()}))
    return diffs


class Transaction:
    """Applies a plan, remembering how to put every path back."""

    def __init__(self, plan: Plan, run_command: t.Callable[[str], tuple[int, str, str]]) -> None:
        self.plan = plan
        self.run_command = run_command
        self.undo: list[t.Callable[[], None]] = []
        self.rollback_files: list[tuple[str, str]] = []   # (rollback copy, dest it came from)
        self.temporaries: list[str] = []

    def apply(self, validate: str | None, backup_name: t.Callable[[str], str] | None) -> dict[str, str]:
        """Apply the plan; with backup_name, keep each replaced or removed file there."""
        try:
            self._create_directories()
            prepared = self._prepare()
            for entry, temporary in prepared:
                self._put_in_place(entry, temporary)
            for path in self.plan.pruned:
                self._prune(path)
            if validate:
                rc, out, err = self.run_command(validate)
                if rc != 0:
                    raise ConfigFilesError(
                        "%s refused the new files, so every file was put back as it was: %s"
                        % (validate, first_error_lines(err, out)),
                        rc=rc, stdout=out, stderr=err)
        except BaseException:
            self._roll_back()
            raise
        finally:
            for temporary in self.temporaries:
                if os.path.lexists(temporary):
                    os.unlink(temporary)
        backups = {}
        for rollback, dest in self.rollback_files:
            if backup_name:
                backups[dest] = backup_name(dest)
                os.rename(rollback, backups[dest])
            else:
                remove_path(rollback)
        return backups

    def _prepare(self) -> list[tuple[dict[str, t.Any], str | None]]:
        """Every new content in a temporary file beside its destination, with its attributes, validated."""
        prepared = []
        for entry in self.plan.files:
            spec = entry["spec"]
            temporary = None
            if entry["content_changed"]:
                if spec.state == "present" and spec.content is None:
                    raise ConfigFilesError("%s changed since it was compared; run again" % spec.dest)
                directory, name = os.path.split(spec.dest)
                if not os.path.isdir(directory):
                    raise ConfigFilesError("the directory of %s does not exist: add it to directories" % spec.dest)
                fd, temporary = tempfile.mkstemp(prefix="." + name + ".", suffix=".tmp", dir=directory)
                self.temporaries.append(temporary)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(spec.content or b"")
                keep_attributes(entry["found"], temporary)
                spec.attributes.apply(temporary)
                if spec.validate:
                    if "%s" not in spec.validate:
                        raise ConfigFilesError("validate of %s must contain %%s: %s" % (spec.dest, spec.validate))
                    rc, out, err = self.run_command(spec.validate % temporary)
                    if rc != 0:
                        raise ConfigFilesError(
                            "%s refused the new %s, which was not written: %s"
                            % (spec.validate.split()[0], spec.dest, first_error_lines(err, out)),
                            rc=rc, stdout=out, stderr=err)
            prepared.append((entry, temporary))
        return prepared

    def _create_directories(self) -> None:
        for directory, create, dummy in sorted(self.plan.directories, key=lambda item: item[0].path):
            if create:
                created = []
                path = directory.path
                while not os.path.lexists(path):
                    created.append(path)
                    path = os.path.dirname(path)
                for path in reversed(created):
                    if not os.path.lexists(path):
                        os.mkdir(path, 0o755)
                        self.undo.append(lambda path=path: remove_empty_directory(path))
            else:
                self._remember_attributes(directory.path)
            directory.attributes.apply(directory.path)

    def _remember_attributes(self, path: str) -> None:
        found = os.lstat(path)
        self.undo.append(lambda: (os.lchown(path, found.st_uid, found.st_gid),
                                  os.chmod(path, stat.S_IMODE(found.st_mode))))

    def _keep_for_rollback(self, dest: str) -> None:
        """A hard link (or copy) of dest under a hidden name: dest itself stays in place until replaced."""
        rollback = rollback_name(dest)
        remove_path(rollback)
        try:
            os.link(dest, rollback, follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            shutil.copy2(dest, rollback, follow_symlinks=False)
        self.rollback_files.append((rollback, dest))
        self.undo.append(lambda: os.rename(rollback, dest))

    def _put_in_place(self, entry: dict[str, t.Any], temporary: str | None) -> None:
        spec = entry["spec"]
        if entry["removed"]:
            self._keep_for_rollback(spec.dest)
            os.unlink(spec.dest)
            return
        if temporary is not None:
            if entry["found"] is not None:
                self._keep_for_rollback(spec.dest)
            else:
                self.undo.append(lambda: os.path.lexists(spec.dest) and os.unlink(spec.dest))
            os.rename(temporary, spec.dest)
            return
        self._remember_attributes(spec.dest)
        if entry["differences"]:
            spec.attributes.apply(spec.dest)
        if entry["touched"]:
            os.utime(spec.dest)

    def _prune(self, path: str) -> None:
        """Moved aside under a hidden name (a directory with its content), until the set is accepted."""
        rollback = rollback_name(path)
        remove_path(rollback)
        os.rename(path, rollback)
        self.rollback_files.append((rollback, path))
        self.undo.append(lambda: os.rename(rollback, path))

    def _roll_back(self) -> None:
        for undo in reversed(self.undo):
            try:
                undo()
            except OSError:
                pass
        self.undo = []
        self.rollback_files = []


def rollback_name(path: str) -> str:
    return os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ROLLBACK_SUFFIX)


def remove_path(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def keep_attributes(found: os.stat_result | None, temporary: str) -> None:
    """Without a wanted owner, group or mode, a replaced file keeps its own; a new one gets the umask's."""
    if found is not None and stat.S_ISREG(found.st_mode):
        os.chown(temporary, found.st_uid, found.st_gid)
        os.chmod(temporary, stat.S_IMODE(found.st_mode))
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)


def backup_name(path: str) -> str:
    """A backup's name, as ansible.builtin.copy names them: path.PID.YYYY-MM-DD@HH:MM:SS~."""
    return "%s.%d.%s~" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))


def remove_empty_directory(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


TELLING = re.compile(r"error|alert|emerg|fail|invalid|unknown|not found|no such|there is no|refused|cannot|"
                     r"couldn't|could not|offending|why|expected", re.IGNORECASE)
NOISE = re.compile(r"could not delete|see \"systemctl status|journalctl -xeu", re.IGNORECASE)


def first_error_lines(err: str, out: str, limit: int = 8) -> str:
    """The lines of a checker's output that say what is wrong (or its last lines), with the line after an
    "Offending line:" (iptables-restore, firehol)."""
    lines = [line.strip() for line in (err or out or "").splitlines() if line.strip()]
    chosen = []
    for index, line in enumerate(lines):
        if NOISE.search(line):
            continue
        if TELLING.search(line) or (index and lines[index - 1].lower().startswith("offending line")):
            chosen.append(line)
    chosen = chosen[:limit] if chosen else lines[-limit:]
    return " | ".join(chosen) if chosen else "(no output)"
