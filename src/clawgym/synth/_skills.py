"""Skills for the bottom-up route: strict parsing of OpenClaw / AgentSkills folders, rule-based
annotation (auth, network, text-only, risk, what the sandbox can serve), and seeded composition
of 1-3 compatible skills per task by similarity of their descriptions.

A skill is a folder `<name>/` holding `SKILL.md`: YAML front matter between `---` lines with
`name` (lower-case letters, digits and single hyphens, at most 64 characters, equal to the folder
name) and `description`, optionally `metadata.openclaw` (aliases `clawdbot`, `clawdis`; a mapping
or a one-line JSON object) whose `requires` lists `bins`, `anyBins`, `env` and `config`, and `os`;
then a non-empty Markdown body. Every other file beside it (scripts/, references/, assets/) is
installed with it at `skills/<name>/` in a task's workspace, so files must be text, small, and
no symlinks. Errors name the file, the field and the reason.

Composition is deterministic and prefix-stable: record i's primary skill comes from a fresh
seeded permutation of the servable skills every len(skills) records; its companions are the
skills most similar to the ones chosen so far (TF-IDF cosine over name + description), among
those above `min_similarity`, preferring combinations not used yet. Never random pairs.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from clawgym.synth._inputs import SynthInputError, derive_seed

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_FILE_BYTES = 64 * 1024
MAX_SKILL_BYTES = 256 * 1024
MAX_FILES = 32
METADATA_ALIASES = ("openclaw", "clawdbot", "clawdis")
REQUIRES_KEYS = {"bins", "anyBins", "env", "config"}
OS_NAMES = {"linux", "darwin", "win32"}
# What the bubblewrap sandbox sees: the host's /usr, read-only (and /bin, /sbin via /usr on Debian).
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

NETWORK_BINS = {"curl", "wget", "ssh", "scp", "rsync", "gh", "aws", "gcloud", "az", "kubectl", "docker", "podman",
                "nc", "ncat", "telnet", "ftp", "sftp", "mcporter", "himalaya", "gog", "spotify_player", "op"}
MEDIA_BINS = {"ffmpeg", "ffprobe", "convert", "magick", "sox", "imagemagick", "gifsicle", "yt-dlp", "whisper",
              "tesseract", "peekaboo", "camsnap"}
_AUTH_WORDS = re.compile(r"\b(api[ _-]?key|access[ _-]?token|oauth|bearer token|client[ _-]?secret|"
                         r"log ?in to your|sign ?in with|credentials? (?:file|for))\b", re.I)
_NET_WORDS = re.compile(r"\b(https?://(?!localhost|127\.0\.0\.1|example\.(?:com|org))[\w.-]+|"
                        r"web ?search|fetch(?:es|ing)? (?:the )?(?:web|url|page)|rest api|graphql)\b", re.I)
_MEDIA_WORDS = re.compile(r"\b(screenshots?|images?|photos?|video|audio|podcast|microphone|camera|"
                          r"speech|transcrib\w*|\.png|\.jpe?g|\.mp[34]|\.wav)\b", re.I)
_HIGH_RISK = [(re.compile(p), why) for p, why in [
    (r"rm\s+-[a-zA-Z]*r[a-zA-Z]*f?\s+(/|~|\$HOME)(\s|$)", "recursive delete of / or HOME"),
    (r"\bsudo\b", "runs sudo"),
    (r"\bmkfs(\.\w+)?\b|\bdd\s+if=", "writes raw disks"),
    (r"(curl|wget)[^\n|]*\|\s*(ba|z)?sh\b", "pipes a download into a shell"),
    (r"\bchmod\s+(-R\s+)?777\s+/", "opens permissions on system paths"),
    (r">\s*/etc/|/etc/(passwd|shadow|sudoers)", "writes system configuration"),
    (r"\bshutdown\b|\breboot\b", "powers the machine off")]]
_MEDIUM_RISK = [(re.compile(p), why) for p, why in [
    (r"\brm\s+-[a-zA-Z]*r|shutil\.rmtree|os\.remove\(|os\.unlink\(|\.unlink\(", "deletes files"),
    (r"\bgit\s+push\b|\bgit\s+reset\s+--hard\b", "rewrites or publishes git history"),
    (r"\bcrontab\s+(?:-r\b|-\s|[\w./-]+\.(?:txt|cron|tab)\b)", "installs or removes a crontab"),
    (r"\bsubprocess\b|\bos\.system\(", "runs subprocesses")]]


class SkillError(SynthInputError):
    """A skill folder is invalid. `problems` holds one (file, field, reason) per problem."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"{f}: {fld}: {why}" for f, fld, why in problems]
        super().__init__(lines[0] if len(lines) == 1 else
                         f"{len(lines)} problems in skill folders:\n" + "\n".join(f"  {ln}" for ln in lines))


class Requires(BaseModel):
    bins: list[str] = Field(default_factory=list)
    any_bins: list[str] = Field(default_factory=list)
    env: list[str] = Field(default_factory=list)
    config: list[str] = Field(default_factory=list)


class SkillFile(BaseModel):
    path: str
    data: bytes
    executable: bool = False


class Skill(BaseModel):
    """One parsed skill folder."""

    name: str
    description: str
    body: str
    folder: str
    requires: Requires = Field(default_factory=Requires)
    os: list[str] = Field(default_factory=list)
    primary_env: str | None = None
    homepage: str | None = None
    files: list[SkillFile] = Field(default_factory=list, description="Every file, SKILL.md included.")

    def text(self) -> str:
        """What similarity and dedup read: the name and description."""
        return f"{self.name.replace('-', ' ')} {self.description}"

    def listing(self, limit: int = 6000) -> str:
        """SKILL.md and its other files, as a prompt shows them (long files cut)."""
        parts, used = [], 0
        for f in sorted(self.files, key=lambda f: (f.path != "SKILL.md", f.path)):
            text = f.data.decode("utf-8")
            room = max(0, limit - used)
            shown = text if len(text) <= room else text[:room] + f"\n[... {len(text) - room} more characters]"
            used += len(shown)
            parts.append(f"--- skills/{self.name}/{f.path}{' (executable)' if f.executable else ''} ---\n{shown}")
        return "\n".join(parts)


# -- parsing --------------------------------------------------------------------------------------
def _split_front_matter(text: str, where: str) -> tuple[str, str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise SkillError([(where, "front matter", "SKILL.md must start with a line `---` opening YAML front matter")])
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:])
    raise SkillError([(where, "front matter", "no closing `---` line after the YAML front matter")])


def _str_list(value: Any, where: str, field: str, problems: list) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append((where, field, f"must be a list of non-empty strings, got {value!r}"))
        return []
    return [v.strip() for v in value]


def parse_skill(folder: str | Path) -> Skill:
    """Parse one skill folder strictly; SkillError lists every problem found (file, field, reason)."""
    folder = Path(folder)
    md = folder / "SKILL.md"
    if not md.is_file() and (folder / "skill.md").is_file():
        md = folder / "skill.md"
    where = str(md)
    if not folder.is_dir():
        raise SkillError([(str(folder), "folder", "not a directory")])
    if not md.is_file():
        raise SkillError([(str(folder), "SKILL.md", "missing: a skill folder needs a SKILL.md")])
    try:
        text = md.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SkillError([(where, "encoding", f"not UTF-8 (byte {exc.start})")]) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    head, body = _split_front_matter(text, where)
    try:
        fm = yaml.safe_load(head) if head.strip() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}: " if mark is not None else ""
        raise SkillError([(where, "front matter", f"invalid YAML: {line}{getattr(exc, 'problem', None) or exc}")]) \
            from None
    if not isinstance(fm, dict):
        raise SkillError([(where, "front matter", f"must be a YAML mapping, got {type(fm).__name__}")])
    problems: list[tuple[str, str, str]] = []
    name = fm.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append((where, "name", "required: a non-empty string"))
        name = folder.name
    elif not NAME_RE.match(name) or len(name) > MAX_NAME:
        problems.append((where, "name", f"{name!r} must be lower-case letters, digits and single hyphens, "
                                        f"at most {MAX_NAME} characters"))
    elif name != folder.name:
        problems.append((where, "name", f"{name!r} differs from its folder name {folder.name!r}"))
    desc = fm.get("description")
    if not isinstance(desc, str) or not desc.strip():
        problems.append((where, "description", "required: a non-empty string saying what the skill does and when "
                                               "to use it"))
        desc = ""
    elif len(desc) > MAX_DESCRIPTION:
        problems.append((where, "description", f"{len(desc)} characters; at most {MAX_DESCRIPTION}"))
    homepage = fm.get("homepage")
    if homepage is not None and not isinstance(homepage, str):
        problems.append((where, "homepage", "must be a string"))
        homepage = None
    requires, os_list, primary_env = Requires(), [], None
    meta = fm.get("metadata")
    if isinstance(meta, str):  # OpenClaw allows the metadata as a one-line JSON object
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError as exc:
            problems.append((where, "metadata", f"a string that is not a JSON object ({exc.msg})"))
            meta = None
    if meta is not None and not isinstance(meta, dict):
        problems.append((where, "metadata", f"must be a mapping, got {type(meta).__name__}"))
        meta = None
    oc_key = next((k for k in METADATA_ALIASES if meta and k in meta), None)
    oc = meta.get(oc_key) if oc_key else None
    if oc_key and not isinstance(oc, dict):
        problems.append((where, f"metadata.{oc_key}", "must be a mapping"))
        oc = None
    if oc:
        f = f"metadata.{oc_key}"
        req = oc.get("requires")
        if req is not None and not isinstance(req, dict):
            problems.append((where, f"{f}.requires", "must be a mapping of bins, anyBins, env, config"))
            req = None
        if req:
            unknown = sorted(set(req) - REQUIRES_KEYS)
            if unknown:
                problems.append((where, f"{f}.requires", f"unknown key(s) {', '.join(map(str, unknown))}; "
                                                         f"expected {', '.join(sorted(REQUIRES_KEYS))}"))
            requires = Requires(bins=_str_list(req.get("bins"), where, f"{f}.requires.bins", problems),
                                any_bins=_str_list(req.get("anyBins"), where, f"{f}.requires.anyBins", problems),
                                env=_str_list(req.get("env"), where, f"{f}.requires.env", problems),
                                config=_str_list(req.get("config"), where, f"{f}.requires.config", problems))
        os_list = _str_list(oc.get("os"), where, f"{f}.os", problems)
        bad_os = [o for o in os_list if o not in OS_NAMES]
        if bad_os:
            problems.append((where, f"{f}.os", f"unknown {', '.join(bad_os)}; expected {', '.join(sorted(OS_NAMES))}"))
        pe = oc.get("primaryEnv")
        if pe is not None and (not isinstance(pe, str) or not pe.strip()):
            problems.append((where, f"{f}.primaryEnv", "must be a non-empty string"))
        elif pe:
            primary_env = pe.strip()
    if not body.strip():
        problems.append((where, "body", "empty: SKILL.md needs instructions after the front matter"))
    files = _skill_files(folder, md, problems)
    if problems:
        raise SkillError(problems)
    return Skill(name=name, description=" ".join(desc.split()), body=body.strip() + "\n", folder=str(folder),
                 requires=requires, os=os_list, primary_env=primary_env, homepage=homepage, files=files)


def _skill_files(folder: Path, md: Path, problems: list) -> list[SkillFile]:
    files, total = [], 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                problems.append((str(Path(dirpath) / d), "file", "a symlink; skills must be plain files"))
                dirnames.remove(d)
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if fn.startswith(".") or fn.endswith(".pyc"):
                continue
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink() or not p.is_file():
                problems.append((str(p), "file", "a symlink or special file; skills must be plain files"))
                continue
            data = p.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                problems.append((str(p), "file", f"{len(data)} bytes; at most {MAX_FILE_BYTES} per file"))
                continue
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                problems.append((str(p), "file", "not UTF-8 text; skills ship text files only"))
                continue
            total += len(data)
            if p == md:
                rel = "SKILL.md"
                data = data.replace(b"\r\n", b"\n")
            files.append(SkillFile(path=rel, data=data, executable=os.access(p, os.X_OK)))
    if len(files) > MAX_FILES:
        problems.append((str(folder), "files", f"{len(files)} files; at most {MAX_FILES}"))
    if total > MAX_SKILL_BYTES:
        problems.append((str(folder), "files", f"{total} bytes in all; at most {MAX_SKILL_BYTES}"))
    return files


def load_skills(root: str | Path | None = None) -> list[Skill]:
    """Every skill under `root` (a folder of skill folders, or one skill folder), sorted by name;
    the shipped sample set when root is None. Raises one SkillError listing every problem."""
    root = Path(root) if root is not None else shipped_skills_dir()
    if not root.is_dir():
        raise SkillError([(str(root), "folder", "not a directory of skills")])
    if (root / "SKILL.md").is_file() or (root / "skill.md").is_file():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    problems: list[tuple[str, str, str]] = []
    skills: dict[str, Skill] = {}
    for folder in folders:
        try:
            s = parse_skill(folder)
        except SkillError as exc:
            problems.extend(exc.problems)
            continue
        if s.name in skills:
            problems.append((str(folder / "SKILL.md"), "name", f"{s.name!r} is also the name of {skills[s.name].folder}"))
            continue
        skills[s.name] = s
    if not folders:
        problems.append((str(root), "folder", "holds no skill folder (a folder with a SKILL.md)"))
    if problems:
        raise SkillError(problems)
    return sorted(skills.values(), key=lambda s: s.name)


def shipped_skills_dir() -> Path:
    return Path(str(resources.files("clawgym.synth") / "skills"))


# -- annotation -----------------------------------------------------------------------------------
Risk = Literal["low", "medium", "high"]
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


class SkillAnnotation(BaseModel):
    """What the synthesis needs to know about a skill, and whether the sandbox can serve it."""

    name: str
    needs_auth: bool = False
    needs_network: bool = False
    text_only: bool = True
    risk: Risk = "low"
    reasons: list[str] = Field(default_factory=list, description="Why each flag is set.")
    missing_bins: list[str] = Field(default_factory=list)
    servable: bool = True
    skip_reason: str | None = None
    source: str = Field(default="rules", description="rules, or rules+llm when an LLM annotation was merged.")
    summary: str | None = None


def sandbox_has(binary: str, path: str = SANDBOX_PATH) -> bool:
    """Whether the sandbox can run `binary` (it sees the host's /usr read-only, no ~/.local)."""
    return shutil.which(binary, path=path) is not None


def annotate_skill(skill: Skill, *, allow_network: bool = False, path: str = SANDBOX_PATH,
                   max_risk: Risk = "medium") -> SkillAnnotation:
    """Rule-based annotation from requires/env/os and the skill's text and scripts."""
    reasons: list[str] = []
    req = skill.requires
    needs_auth = False
    if req.env or skill.primary_env:
        needs_auth = True
        reasons.append("auth: requires environment variable(s) " + ", ".join(dict.fromkeys(
            [*req.env, *([skill.primary_env] if skill.primary_env else [])])))
    if req.config:
        needs_auth = True
        reasons.append("auth: requires config key(s) " + ", ".join(req.config))
    body = skill.description + "\n" + skill.body
    m = _AUTH_WORDS.search(body)
    if m:
        needs_auth = True
        reasons.append(f"auth: its instructions mention {m.group(0)!r}")
    net_bins = sorted(set(req.bins + req.any_bins) & NETWORK_BINS)
    needs_network = False
    if net_bins and (set(req.bins) & NETWORK_BINS or set(req.any_bins) <= NETWORK_BINS):
        needs_network = True
        reasons.append("network: requires " + ", ".join(net_bins))
    m = _NET_WORDS.search(body)
    if m:
        needs_network = True
        reasons.append(f"network: its instructions mention {m.group(0)!r}")
    text_only = True
    media = sorted(set(req.bins + req.any_bins) & MEDIA_BINS)
    if media:
        text_only = False
        reasons.append("media: requires " + ", ".join(media))
    m = _MEDIA_WORDS.search(skill.description)
    if m:
        text_only = False
        reasons.append(f"media: its description mentions {m.group(0)!r}")
    risk: Risk = "low"
    code = "\n".join(f.data.decode("utf-8") for f in skill.files)
    for pat, why in _HIGH_RISK:
        if pat.search(code):
            risk = "high"
            reasons.append(f"risk high: {why}")
    if risk == "low":
        for pat, why in _MEDIUM_RISK:
            if pat.search(code):
                risk = "medium"
                reasons.append(f"risk medium: {why}")
                break
    missing = [b for b in req.bins if not sandbox_has(b, path)]
    if req.any_bins and not any(sandbox_has(b, path) for b in req.any_bins):
        missing.append("one of " + "/".join(req.any_bins))
    skip = None
    if skill.os and "linux" not in skill.os:
        skip = f"runs only on {', '.join(skill.os)}; the sandbox is Linux"
    elif missing:
        skip = f"the sandbox lacks {', '.join(missing)}"
    elif needs_auth:
        skip = "needs credentials the sandbox does not have"
    elif needs_network and not allow_network:
        skip = "needs the network; the sandbox has none"
    elif not text_only:
        skip = "needs images, audio or video; tasks are text-only"
    elif _RISK_ORDER[risk] > _RISK_ORDER[max_risk]:
        skip = f"risk {risk} is above the allowed {max_risk}"
    return SkillAnnotation(name=skill.name, needs_auth=needs_auth, needs_network=needs_network, text_only=text_only,
                           risk=risk, reasons=reasons, missing_bins=missing, servable=skip is None, skip_reason=skip)


class LLMSkillAnnotation(BaseModel):
    """The optional LLM annotation stage's answer; it can only add restrictions to the rules'."""

    summary: str = Field(min_length=1)
    needs_auth: bool
    needs_network: bool
    text_only: bool
    risk: Risk
    reasons: list[str] = Field(default_factory=list)


def merge_annotation(rules: SkillAnnotation, llm: LLMSkillAnnotation, *, allow_network: bool = False,
                     max_risk: Risk = "medium") -> SkillAnnotation:
    a = rules.model_copy(deep=True)
    a.source, a.summary = "rules+llm", llm.summary
    extra = [f"llm: {r}" for r in llm.reasons]
    a.needs_auth |= llm.needs_auth
    a.needs_network |= llm.needs_network
    a.text_only &= llm.text_only
    if _RISK_ORDER[llm.risk] > _RISK_ORDER[a.risk]:
        a.risk = llm.risk
    a.reasons += extra
    if a.servable:
        skip = None
        if llm.needs_auth:
            skip = "needs credentials the sandbox does not have (LLM annotation)"
        elif llm.needs_network and not allow_network:
            skip = "needs the network; the sandbox has none (LLM annotation)"
        elif not llm.text_only:
            skip = "needs images, audio or video; tasks are text-only (LLM annotation)"
        elif _RISK_ORDER[a.risk] > _RISK_ORDER[max_risk]:
            skip = f"risk {a.risk} is above the allowed {max_risk} (LLM annotation)"
        if skip:
            a.servable, a.skip_reason = False, skip
    return a


# -- similarity and composition -------------------------------------------------------------------
_STOP = set("""a an and are as at be by can for from how in into is it its of on or that the this to use used
using when which with without your you all any each via per do does if not only out over than then these
those up what who will skill skills""".split())
_TOKEN = re.compile(r"[a-z][a-z0-9]+")


def _tokens(text: str) -> list[str]:
    out = []
    for t in _TOKEN.findall(text.lower()):
        if t in _STOP:
            continue
        for suf in ("ing", "es", "s"):  # a crude stemmer: files/file, parsing/parse
            if len(t) > len(suf) + 3 and t.endswith(suf):
                t = t[: -len(suf)]
                break
        out.append(t)
    return out


def similarity_matrix(texts: list[str]) -> list[list[float]]:
    """Cosine similarity of TF-IDF vectors (smoothed idf, sublinear tf)."""
    docs = [Counter(_tokens(t)) for t in texts]
    n = len(docs)
    df = Counter(w for d in docs for w in d)
    idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
    vecs = []
    for d in docs:
        v = {w: (1 + math.log(c)) * idf[w] for w, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / norm for w, x in v.items()})
    sim = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            a, b = vecs[i], vecs[j]
            if len(b) < len(a):
                a, b = b, a
            s = sum(x * b.get(w, 0.0) for w, x in a.items())
            sim[i][j] = sim[j][i] = round(s, 6)
    return sim


class SkillCombo(BaseModel):
    """The skills one record is built on (the primary first) and why they go together."""

    index: int
    skills: list[str]
    similarity: float = Field(description="Mean pairwise similarity of the chosen skills (1.0 for one).")
    wanted: int = Field(description="How many skills the seed asked for; fewer when none was similar enough.")


def compose(skills: list[Skill], n: int, *, seed: int = 0, per_task: tuple[int, int] = (1, 3),
            min_similarity: float = 0.08, max_bytes: int = MAX_SKILL_BYTES) -> list[SkillCombo]:
    """n skill combinations (see the module docstring): deterministic for a seed, and the first
    records stay the same when n grows."""
    lo, hi = per_task
    if not 1 <= lo <= hi <= 3:
        raise ValueError(f"skills per task must satisfy 1 <= low <= high <= 3, got {per_task}")
    if n < 0:
        raise ValueError("n cannot be negative")
    if not skills and n:
        raise SynthInputError("no servable skill to compose tasks from")
    skills = sorted(skills, key=lambda s: s.name)
    idx = {s.name: i for i, s in enumerate(skills)}
    sim = similarity_matrix([s.text() for s in skills])
    size = {s.name: sum(len(f.data) for f in s.files) for s in skills}
    used: set[tuple[str, ...]] = set()
    order: list[Skill] = []
    out = []
    for i in range(n):
        if i % len(skills) == 0:
            order = list(skills)
            random.Random(derive_seed(seed, "skills", i // len(skills))).shuffle(order)
        primary = order[i % len(skills)]
        want = random.Random(derive_seed(seed, "skill-count", i)).randint(lo, hi)
        chosen = [primary.name]
        while len(chosen) < want:
            cands = []
            for s in skills:
                if s.name in chosen or sum(size[c] for c in chosen) + size[s.name] > max_bytes:
                    continue
                score = sum(sim[idx[s.name]][idx[c]] for c in chosen) / len(chosen)
                if score < min_similarity or min(sim[idx[s.name]][idx[c]] for c in chosen) <= 0:
                    continue
                fresh = tuple(sorted([*chosen, s.name])) not in used
                cands.append((fresh, score, s.name))
            if not cands:
                break
            chosen.append(max(cands, key=lambda c: (c[0], c[1], [-ord(ch) for ch in c[2]]))[2])
        used.add(tuple(sorted(chosen)))
        pairs = [(a, b) for k, a in enumerate(chosen) for b in chosen[k + 1:]]
        mean = sum(sim[idx[a]][idx[b]] for a, b in pairs) / len(pairs) if pairs else 1.0
        out.append(SkillCombo(index=i, skills=chosen, similarity=round(mean, 4), wanted=want))
    return out
