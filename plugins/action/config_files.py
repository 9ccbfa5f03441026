# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of scalable.webstack.config_files: renders templates and reads controller files and
trees, sends the module their checksums first and their contents only when they differ."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

MODULE = "scalable.webstack.config_files"
CONTROLLER_KEYS = ("template", "vars", "src")


def text_or_base64(data: bytes) -> dict:
    try:
        return dict(content=data.decode("utf-8"))
    except UnicodeDecodeError:
        return dict(content_base64=to_text(base64.b64encode(data)))


def tree_mode(mode, source_mode: int):
    """The mode of a file copied from a tree: the source's execute bits wherever mode gives a read bit."""
    if mode is None or not source_mode & 0o111:
        return mode
    value = int(str(mode), 8) if not isinstance(mode, int) else mode
    return "%04o" % (value | ((value & 0o444) >> 2))


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            files, directories = self._controller_side(args, task_vars)
        except AnsibleError as error:
            raise AnsibleActionFail(to_text(error))

        common = {key: value for key, value in args.items()
                  if key not in ("files", "directories", "trees", "plan_only") and value is not None}
        contents = {entry["dest"]: entry.pop("_data") for entry in files if "_data" in entry}

        def module_args(send: set) -> dict:
            sent = []
            for entry in files:
                entry = dict(entry)
                if entry["dest"] in contents:
                    data = contents[entry["dest"]]
                    if entry["dest"] in send:
                        entry.update(text_or_base64(data))
                    else:
                        entry["checksum"] = hashlib.sha1(data).hexdigest()
                sent.append(entry)
            return dict(common, files=sent, directories=directories)

        first = self._execute_module(MODULE, module_args=dict(module_args(set()), plan_only=True),
                                     task_vars=task_vars)
        final = first
        if not first.get("failed") and first.get("changed") and not (self._task.check_mode and not self._task.diff):
            final = self._execute_module(MODULE, module_args=module_args(set(first.get("needs_content", []))),
                                         task_vars=task_vars)
        final.pop("needs_content", None)
        final["invocation"] = dict(module_args=self._shown_arguments(args, files, directories, contents))
        result.update(final)
        return result

    def _controller_side(self, args: dict, task_vars: dict) -> tuple[list, list]:
        """The files with their data read or rendered here, and the directories, trees expanded."""
        files, directories = [], [dict(entry) for entry in args.get("directories") or []]
        for entry in args.get("files") or []:
            if not isinstance(entry, dict) or "dest" not in entry:
                raise AnsibleActionFail("files: each entry is a dict with dest, got %r" % (entry,))
            entry = dict(entry)
            sources = [key for key in ("template", "src", "content", "content_base64") if entry.get(key) is not None]
            if len(sources) > 1:
                raise AnsibleActionFail("files: %s gives %s; give one" % (entry["dest"], " and ".join(sources)))
            if entry.get("template") is not None:
                entry["_data"] = to_bytes(self._render(entry["template"], entry.get("vars") or {}, task_vars),
                                          errors="surrogate_or_strict")
            elif entry.get("src") is not None:
                entry["_data"] = self._read(self._find_needle("files", entry["src"]))
            elif entry.get("content") is not None:
                entry["_data"] = to_bytes(entry.pop("content"), errors="surrogate_or_strict")
            elif entry.get("content_base64") is not None:
                entry["_data"] = base64.b64decode(entry.pop("content_base64"))
            for key in CONTROLLER_KEYS:
                entry.pop(key, None)
            files.append(entry)
        for tree in args.get("trees") or []:
            tree_files, tree_directories = self._expand_tree(tree, args)
            files.extend(tree_files)
            directories.extend(tree_directories)
        return files, directories

    def _render(self, template: str, template_vars: dict, task_vars: dict) -> str:
        lookup = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
        return lookup.run([template], variables=task_vars, template_vars=template_vars)[0]

    @staticmethod
    def _read(path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    def _expand_tree(self, tree: dict, args: dict) -> tuple[list, list]:
        for key in ("src", "dest"):
            if not tree.get(key):
                raise AnsibleActionFail("trees: each entry needs src and dest, got %r" % (tree,))
        source = self._find_needle("files", tree["src"])
        if not os.path.isdir(source):
            raise AnsibleActionFail("trees: %s is not a directory on the controller" % source)
        dest = tree["dest"].rstrip("/")
        owner, group = tree.get("owner"), tree.get("group")
        mode = tree.get("mode") if tree.get("mode") is not None else args.get("mode")
        directory_mode = tree.get("directory_mode")
        directories = [dict(path=dest, owner=owner, group=group, mode=directory_mode, prune=True, recursive=True)]
        files = []
        for root, dirnames, filenames in os.walk(source, followlinks=True):
            dirnames.sort()
            relative = os.path.relpath(root, source)
            target = dest if relative == "." else os.path.join(dest, relative)
            for name in dirnames:
                directories.append(dict(path=os.path.join(target, name), owner=owner, group=group,
                                        mode=directory_mode))
            for name in sorted(filenames):
                path = os.path.join(root, name)
                if not os.path.isfile(path):
                    continue
                files.append(dict(dest=os.path.join(target, name), owner=owner, group=group,
                                  mode=tree_mode(mode, stat.S_IMODE(os.stat(path).st_mode)), _data=self._read(path)))
        return files, directories

    @staticmethod
    def _shown_arguments(args: dict, files: list, directories: list, contents: dict) -> dict:
        """The task's arguments without any file content or template variables, for -vvv."""
        shown = {key: value for key, value in args.items() if key not in ("files", "directories", "trees")}
        shown_files = []
        for entry in files:
            entry = {key: value for key, value in entry.items() if key not in ("content", "content_base64")}
            if entry["dest"] in contents:
                entry["checksum"] = hashlib.sha1(contents[entry["dest"]]).hexdigest()
            shown_files.append(entry)
        shown.update(files=shown_files, directories=directories,
                     trees=[dict(tree) for tree in args.get("trees") or []])
        return shown
