"""Task samplers of the file system environment (see xlam.synthesis.multi_turn.tasks)."""

from __future__ import annotations

import random

from xlam.envs.data import SENTENCES
from xlam.synthesis.multi_turn.blueprint import ABSENT, Expect, Task
from xlam.synthesis.multi_turn.tasks.base import C, Domain, Persona, State


def _fs_persona(state: State, rng: random.Random) -> Persona:
    home = next(d for d in state["directories"] if d.startswith("/home/") and d.count("/") == 2)
    folders = [d for d in state["directories"] if d.startswith(home + "/")]
    return {"home": home, "folders": folders}


def _a_file(s: State, rng: random.Random, p: Persona) -> str | None:
    files = sorted(f for f in s["files"] if f.startswith(p["home"] + "/"))
    return rng.choice(files) if files else None


def fs_list(s: State, rng: random.Random, p: Persona) -> Task:
    folder = rng.choice(p["folders"])
    return Task("list_folder", ["What's in {folder}?", "List the files in {folder}.", "Show me the contents of {folder}."],
                {"folder": folder}, [[C("list_directory", path=folder)]],
                answer=lambda o: (f"{folder} contains: " + ", ".join(o[0]) + ".") if o[0] else f"{folder} is empty.")


def fs_find_long(s: State, rng: random.Random, p: Persona) -> Task:
    folder = max(p["folders"], key=lambda d: sum(1 for f in s["files"] if f.startswith(d + "/")))
    return Task("list_folder_long", ["List everything in {folder}, I need the complete listing.",
                                     "Give me the full contents of {folder}."],
                {"folder": folder}, [[C("list_directory", path=folder)]], long_context=True,
                answer=lambda o: f"{folder} holds {len(o[0])} entries.")


def fs_read(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("read", ["Open {path} and tell me what it says.", "What's written in {path}?", "Read {path} for me."],
                {"path": path}, [[C("read_file", path=path)]], answer=lambda o: f"{path} says: {o[0]}")


def fs_write(s: State, rng: random.Random, p: Persona) -> Task:
    folder = rng.choice(p["folders"])
    name = rng.choice(["agenda", "shopping", "reminders", "ideas", "contacts", "goals"]) + rng.choice(["", "_new", "_2025"]) + ".txt"
    path = f"{folder}/{name}"
    content = rng.choice(SENTENCES)
    return Task("write", ["Create a file {path} with the text: {content}", "Write \"{content}\" into a new file at {path}.",
                          "Save a note at {path} that says {content}"],
                {"path": path, "content": content}, [[C("write_file", path=path, content=content)]],
                [Expect(("files", path), content)],
                answer=lambda o: f"Saved {path} ({o[0]['characters']} characters).",
                omit="content", say_without=["Create a file {path} for me.", "I need a new file at {path}."],
                ask="What should the file say?", supply=["Write: {value}", "The text is: {value}", "{value}"])


def fs_append(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    text = rng.choice(SENTENCES)
    new = f"{s['files'][path]}\n{text}" if s["files"][path] else text
    return Task("append", ["Add the line \"{text}\" to {path}.", "Append to {path}: {text}", "Please put \"{text}\" at the end of {path}."],
                {"text": text, "path": path}, [[C("append_to_file", path=path, text=text)]],
                [Expect(("files", path), new)], answer=lambda o: f"Added the line; {path} now has {o[0]['characters']} characters.")


def fs_archive(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    target = f"{p['home']}/{rng.choice(['archive_2025', 'old', 'backup', 'done'])}"
    exists = target in s["directories"]
    calls = [[C("move_file", source=path, destination=target)]] if exists else [
        [C("create_directory", path=target)], [C("move_file", source=path, destination=target)]]
    moved = f"{target}/{path.rsplit('/', 1)[1]}"
    expects = [Expect(("files", path), ABSENT), Expect(("files", moved), s["files"][path])]
    if not exists:
        expects.append(Expect(("directories",)))
    return Task("archive", ["Move {path} into {target}.", "Please file {path} away in {target}.",
                            "Put {path} in the folder {target} (create it if needed)."],
                {"path": path, "target": target}, calls, expects,
                answer=lambda o: f"Moved it to {moved}.",
                omit="target", say_without=["Move {path} somewhere else, please."],
                ask="Which folder should it go to?", supply=["{value}.", "Into {value}.", "Put it in {value}."])


def fs_delete(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("delete", ["Delete {path}.", "Please remove the file {path}.", "I don't need {path} anymore, delete it."],
                {"path": path}, [[C("delete_file", path=path)]], [Expect(("files", path), ABSENT)],
                answer=lambda o: f"{path} is deleted.")


def fs_find(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    stem = path.rsplit("/", 1)[1].split("_")[0].split(".")[0]
    return Task("find", ["Find files with {stem} in their name under {home}.", "Search {home} for files named like {stem}."],
                {"stem": stem, "home": p["home"]}, [[C("find_files", name_contains=stem, directory=p["home"])]],
                answer=lambda o: "Found: " + ", ".join(o[0]) + "." if o[0] else "No matching files.")


def fs_count(s: State, rng: random.Random, p: Persona) -> Task | None:
    path = _a_file(s, rng, p)
    if path is None:
        return None
    return Task("count", ["How many words are in {path}?", "Count the words and lines of {path}."],
                {"path": path}, [[C("word_count", path=path)]],
                answer=lambda o: f"{path} has {o[0]['words']} words on {o[0]['lines']} lines.")


FILESYSTEM = Domain(
    env="filesystem",
    system=("You are a file assistant working on the user's documents. Use the tools with absolute paths; "
            "confirm what you changed."),
    persona=_fs_persona,
    tasks=[(1, fs_list), (1, fs_read), (1.2, fs_write), (0.9, fs_append), (1, fs_archive), (0.8, fs_delete),
           (0.6, fs_find), (0.6, fs_count)],
    long_tasks=[fs_find_long],
    irrelevant=["Can you email this file to my boss?", "What's the best laptop to buy?",
                "Can you print the report on the office printer?", "How many days until Christmas?"],
    greet=lambda p: ["", "Hi. ", "Hello! ", "Hey, quick help needed. "],
)


__all__ = ["FILESYSTEM"]
