"""An in-memory file system: directories, text files, moves, appends and searches (absolute paths)."""

from __future__ import annotations

import posixpath
import random
from typing import Any

from pydantic import BaseModel, Field

from xlam.envs.base import Environment, ToolError, tool
from xlam.envs.data import FILE_STEMS, FOLDERS, SENTENCES


class FileSystemState(BaseModel):
    files: dict[str, str] = Field(default_factory=dict, description="Absolute path -> text content.")
    directories: list[str] = Field(default_factory=lambda: ["/"], description="Absolute directory paths, sorted.")


def _norm(path: str) -> str:
    if not path.startswith("/"):
        raise ToolError(f"path {path!r} must be absolute (start with '/')")
    return posixpath.normpath(path) if path != "/" else "/"


class FileSystem(Environment):
    """A user's document folders."""

    name = "filesystem"
    description = "an in-memory file system of text documents (list, read, write, move, delete, search)"
    State = FileSystemState
    state: FileSystemState

    @classmethod
    def sample_state(cls, rng: random.Random, *, long_context: bool = False) -> dict[str, Any]:
        env = cls()
        home = f"/home/{rng.choice(['ana', 'ben', 'maya', 'noah', 'priya', 'jonas'])}"
        env.state.directories += ["/home", home]
        folders = rng.sample(FOLDERS, 4)
        for folder in folders:
            env.state.directories.append(f"{home}/{folder}")
        for _ in range(80 if long_context else 10):
            folder = rng.choice(folders)
            name = f"{rng.choice(FILE_STEMS)}{rng.choice(['', '_2024', '_v2', '_final', '_old'])}.txt"
            env.state.files[f"{home}/{folder}/{name}"] = " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
        env.state.directories.sort()
        return env.state_dict()

    def _is_dir(self, path: str) -> bool:
        return path in self.state.directories

    def _parent_exists(self, path: str) -> None:
        parent = posixpath.dirname(path) or "/"
        if not self._is_dir(parent):
            raise ToolError(f"directory {parent} does not exist")

    def _file(self, path: str) -> str:
        path = _norm(path)
        if path not in self.state.files:
            raise ToolError(f"file {path} not found")
        return path

    # --- tools -------------------------------------------------------------------------------
    @tool
    def list_directory(self, path: str) -> list[str]:
        """List the entries of a directory (sub-directories end with '/').

        Args:
            path: Absolute directory path, e.g. "/home/ana/docs".
        """
        path = _norm(path)
        if not self._is_dir(path):
            raise ToolError(f"directory {path} does not exist")
        prefix = path.rstrip("/") + "/"
        dirs = {d[len(prefix):].split("/")[0] + "/" for d in self.state.directories if d.startswith(prefix) and d != path}
        files = {f[len(prefix):] for f in self.state.files if f.startswith(prefix) and "/" not in f[len(prefix):]}
        return sorted(dirs | files)

    @tool
    def read_file(self, path: str) -> str:
        """Read a text file.

        Args:
            path: Absolute file path.
        """
        return self.state.files[self._file(path)]

    @tool
    def write_file(self, path: str, content: str) -> dict[str, Any]:
        """Create a text file or overwrite it.

        Args:
            path: Absolute file path; its directory must exist.
            content: The new text of the file.
        """
        path = _norm(path)
        if self._is_dir(path):
            raise ToolError(f"{path} is a directory")
        self._parent_exists(path)
        self.state.files[path] = content
        return {"path": path, "characters": len(content)}

    @tool
    def append_to_file(self, path: str, text: str) -> dict[str, Any]:
        """Append a line of text to an existing file.

        Args:
            path: Absolute file path.
            text: Text to add as a new line at the end.
        """
        path = self._file(path)
        current = self.state.files[path]
        self.state.files[path] = f"{current}\n{text}" if current else text
        return {"path": path, "characters": len(self.state.files[path])}

    @tool
    def create_directory(self, path: str) -> dict[str, Any]:
        """Create a directory (its parent must exist).

        Args:
            path: Absolute path of the new directory.
        """
        path = _norm(path)
        if self._is_dir(path) or path in self.state.files:
            raise ToolError(f"{path} already exists")
        self._parent_exists(path)
        self.state.directories = sorted([*self.state.directories, path])
        return {"path": path, "created": True}

    @tool
    def move_file(self, source: str, destination: str) -> dict[str, Any]:
        """Move or rename a file. A destination that is a directory keeps the file name.

        Args:
            source: Absolute path of the file.
            destination: Absolute target path or directory.
        """
        source = self._file(source)
        destination = _norm(destination)
        if self._is_dir(destination):
            destination = posixpath.join(destination, posixpath.basename(source))
        self._parent_exists(destination)
        if destination in self.state.files:
            raise ToolError(f"{destination} already exists")
        self.state.files[destination] = self.state.files.pop(source)
        return {"from": source, "to": destination}

    @tool
    def delete_file(self, path: str) -> dict[str, Any]:
        """Delete a file.

        Args:
            path: Absolute file path.
        """
        path = self._file(path)
        del self.state.files[path]
        return {"path": path, "deleted": True}

    @tool
    def find_files(self, name_contains: str, directory: str = "/") -> list[str]:
        """Find files whose name contains a text, anywhere below a directory.

        Args:
            name_contains: Text the file name must contain.
            directory: Absolute directory to search below.
        """
        directory = _norm(directory)
        prefix = directory.rstrip("/") + "/"
        return sorted(p for p in self.state.files
                      if p.startswith(prefix) and name_contains.lower() in posixpath.basename(p).lower())

    @tool
    def word_count(self, path: str) -> dict[str, int]:
        """Count the lines, words and characters of a text file.

        Args:
            path: Absolute file path.
        """
        text = self.state.files[self._file(path)]
        return {"lines": len(text.splitlines()), "words": len(text.split()), "characters": len(text)}
