"""What ``ssis-clustered`` found on each node before it changed ServiceConfigFile, read
back from the run journal for ``ssis-clustered-undo``.

Step ``config-registry`` reports ``Before.ConfigFile``: the value the node had when the
script ran. The value to restore is the one the *first* change found: a second
``ssis-clustered`` run (another shared folder, say) finds the first run's shared path,
which is not what the node had. So the runs are read back to the last successful undo on
the same cluster (whatever came before it was already taken back), and for each node the
oldest attempt that changed the value counts: an applied (not check-only), succeeded
attempt whose result says it changed, for the same registry key (the same SQL Server
version). A node no attempt changed has nothing recorded, and the undo falls back to its
``config_file`` parameter there, as it says in the plan.

Step ``shared-config`` likewise reports what the shared disk held before: the folders it
created (``Before.MissingFolders``), whether MsDtsSrvr.ini.xml existed
(``Before.ConfigFileExists``) and, when the run changed it, its text (``FileChanges``), the
backup it copied the old file to (``BackupFile``) and that file's SHA-256
(``BackupSha256``, from psrunbook versions whose undo restores the bytes). The first
attempt that changed the folder named by the undo's ``shared_folder`` counts, for the
file's text and hash the first that replaced the file (its backup is the first one), and
every backup any of them made. The text is what Get-Content read, in the ANSI code page
for a file without a byte order mark: the undo puts the file back from the backup, byte
for byte, and uses the text only to recognise a backup an older run recorded no hash for.

A successful undo ends the window, but not what it gave back. When the window reaches
back to one (an undo run after it, with no ``ssis-clustered`` run in between, or with only
runs that recorded nothing for some node), the values that undo restored from the journal
(its own ``recorded_config_files``, ``recorded_service_states`` and
``recorded_shared_config`` parameters, as journaled with it) stand for every node and file
the window recorded nothing for, and its ``recorded_runs`` join this undo's. Falling back
instead would undo the undo: a passive node it gave back Manual and stopped would turn
Automatic and running, a ServiceConfigFile it gave back its own value would get the
installed file, and a config file it wrote back on the shared disk would look like one
``ssis-clustered`` made and be removed. A value in the window still wins: a later
``ssis-clustered`` run found what the undo left (or what an administrator changed since),
which is the state to give back. Only an undo of the same SQL Server version carries
values forward; ``recorded_runs`` given by the operator reads those runs alone.

A ``Before.ConfigFile`` of null (the node had no value at all) counts as nothing recorded:
SQL Server setup always writes the value, and restoring the installed file is the safer
reading of a node that never had one.

Step ``service-manual`` reports the SSIS service's ``Before.StartType`` and
``Before.Status`` on each node. Here the oldest applied, succeeded attempt on a node counts
whether it changed anything or not: a node whose service was already Manual and stopped (a
passive node kept so for licensing) changes nothing there, and that is exactly the state to
give back. Later attempts find what ssis-clustered (or the cluster) left. Only runs of the
same SQL Server version count (the run's own ``sql_version``), and only the states the
undo can give back (start type Automatic or Manual, status Running or Stopped); a node
with anything else has nothing recorded and gets the undo's ``start_type``, as its plan
says.

Nothing recorded for a node is not always a reason to fall back. A run that failed
part-way (at ``shared-config``, say) never reached ``config-registry`` or
``service-manual`` on any node, and the journal knows it: the nodes the runs reached (their
``preflight``, step 1, runs on every node before anything changes) where none of them
*attempted* the step are ``untouched_registry_nodes`` and ``untouched_service_nodes``, and
the undo leaves their value and their service as they are. Falling back there would start
SSIS, Automatic, on a passive node kept Manual and stopped, and replace a ServiceConfigFile
value ssis-clustered never changed. An attempt is any applied (not check-only) attempt of
the step whose script was sent: succeeded, failed, or still ``running`` because nobody saw
its end (it may have changed the node); only one that was never sent (``pipeline_end``
``unsent``) did not reach it. A node attempted without a usable record, and a node no run
reached, still get the fallbacks. An undo carries its untouched nodes forward as it carries
its recorded values, for the nodes the newer runs did not attempt.

``shared_documents`` are the texts of MsDtsSrvr.ini.xml the ``ssis-clustered`` runs on the
cluster with the same ``shared_folder`` write there (computed from their journaled
parameters, as the run did): without a record of what the folder held, the undo removes the
file only when its text is one of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from psrunbook.runbooks._ssis.versions import ssis_version

if TYPE_CHECKING:
    from psrunbook.journal_model import AttemptRecord, RunRecord
    from psrunbook.runbook.history import RunHistory

CLUSTERED = "ssis-clustered"
UNDO = "ssis-clustered-undo"
REGISTRY_STEP = "config-registry"
SHARED_STEP = "shared-config"
SERVICE_STEP = "service-manual"
PREFLIGHT_STEP = "preflight"
RESTORABLE_START_TYPES = ("Automatic", "Manual")
RESTORABLE_STATUSES = ("Running", "Stopped")
CONFIG_FILE_NAME = "MsDtsSrvr.ini.xml"
HISTORY_LIMIT = 10_000
"""Runs read back at most (newest first): far more than any cluster's SSIS history."""


def undo_history(
    history: RunHistory, cluster: str | None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """``recorded_config_files`` (node -> value), ``recorded_service_states`` (node ->
    start type and status), ``recorded_shared_config`` (what ``shared_folder`` held) and
    ``recorded_runs`` for the undo.

    ``recorded_runs`` given by the operator pins the runs to read; otherwise they are the
    ``ssis-clustered`` runs on ``cluster`` since its last successful undo. Nothing
    recorded gives no defaults, so the parameters' own (empty) ones stand.
    """
    pinned = given.get("recorded_runs")
    last_undo: RunRecord | None = None
    if pinned:
        wanted = {str(run_id) for run_id in pinned}
        runs = [r for r in history.runs(HISTORY_LIMIT) if r.run_id in wanted]
    else:
        runs, last_undo = _since_last_undo(history.runs(HISTORY_LIMIT), cluster)
    key = _registry_key(given.get("sql_version"))
    first: dict[str, str | None] = {}
    used: list[str] = []
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        recorded = recorded_values(history.attempts(run.run_id), key)
        fresh = {node: value for node, value in recorded.items() if node not in first}
        first.update(fresh)
        if any(value is not None for value in fresh.values()):
            used.append(run.run_id)
    values = {node: value for node, value in first.items() if value is not None}
    states = _service_states(history, runs, given.get("sql_version"))
    for run_id in states[1]:
        if run_id not in used:
            used.append(run_id)
    answers: dict[str, Any] = {}
    shared = _shared_config(history, runs, given.get("shared_folder"))
    if shared is not None:
        answers["recorded_shared_config"] = shared[1]
        used += [run_id for run_id in shared[0] if run_id not in used]
    if values:
        answers["recorded_config_files"] = values
    if states[0]:
        answers["recorded_service_states"] = states[0]
    version = given.get("sql_version")
    attempted: dict[str, set[str]] = {}
    steps: tuple[tuple[str, str, Collection[str]], ...] = (
        ("untouched_registry_nodes", REGISTRY_STEP, values),
        ("untouched_service_nodes", SERVICE_STEP, states[0]),
    )
    for name, step, kept in steps:
        untouched, attempted[name], reached_in = _untouched(history, runs, step, version, kept)
        if untouched:
            answers[name] = untouched
            used += [run_id for run_id in reached_in if run_id not in used]
    if last_undo is not None and _same_version(last_undo, version):
        used += _carried(last_undo, answers, attempted)
    if answers:
        answers["recorded_runs"] = sorted(dict.fromkeys(used))
    if "recorded_shared_config" not in answers:
        documents = _shared_documents(
            history.runs(HISTORY_LIMIT) if not pinned else runs, cluster, given
        )
        if documents:
            answers["shared_documents"] = documents
    return answers


UNTOUCHED_OF = {
    "recorded_config_files": "untouched_registry_nodes",
    "recorded_service_states": "untouched_service_nodes",
}
"""Each recorded value's parameter, and the parameter of the nodes left as they were."""


def _carried(
    undo: RunRecord, answers: dict[str, Any], attempted: Mapping[str, Collection[str]]
) -> list[str]:
    """Add to ``answers`` what the successful ``undo`` restored from the journal, and the
    nodes it left untouched, for every node (and the shared file) ``answers`` has nothing
    for; the runs it names, when any of it was used. A node a newer run reached without
    attempting the step stays untouched (``answers`` says so): what the undo gave it may
    have been changed since by an administrator, and nothing of ssis-clustered's since. A
    node a newer run attempted is not carried as untouched: that run may have changed it."""
    given = undo.parameters
    used = False
    for name, untouched_name in UNTOUCHED_OF.items():
        ours = answers.get(name, {})
        ours_untouched = list(answers.get(untouched_name, []))
        taken = {_node_key(node) for node in [*ours, *ours_untouched]}
        theirs = given.get(name)
        if isinstance(theirs, dict):
            fill = {n: v for n, v in theirs.items() if _node_key(str(n)) not in taken}
            if fill:
                answers[name] = {**ours, **fill}
                used = True
        theirs_untouched = given.get(untouched_name)
        if isinstance(theirs_untouched, list):
            busy = taken | set(attempted.get(untouched_name, ()))
            more = [str(n) for n in theirs_untouched if _node_key(str(n)) not in busy]
            if more:
                answers[untouched_name] = ours_untouched + more
                used = True
    shared = given.get("recorded_shared_config")
    if isinstance(shared, dict) and "recorded_shared_config" not in answers:
        answers["recorded_shared_config"] = shared
        used = True
    runs = given.get("recorded_runs")
    if not used or not isinstance(runs, list):
        return []
    return [str(run_id) for run_id in runs]


def _node_key(node: str) -> str:
    """A node as the scripts match it: its short name, ignoring case (an inventory may give
    it short or fully qualified)."""
    return node.split(".", 1)[0].casefold()


def _untouched(
    history: RunHistory,
    runs: Iterable[RunRecord],
    step: str,
    sql_version: object,
    recorded: Collection[str],
) -> tuple[list[str], set[str], list[str]]:
    """(the nodes ``runs`` reached where none of them attempted ``step`` and nothing is
    ``recorded``, by name: the order the nodes' preflights were journaled in is the order
    their parallel attempts happened to start, so it would make the undo's parameters,
    and its plan, differ from one run to the next; the nodes (keys) some run attempted
    ``step`` on; the runs that reached the untouched nodes). Only runs of ``sql_version``
    count."""
    reached: dict[str, tuple[str, str]] = {}
    attempted: set[str] = set()
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        if not _same_version(run, sql_version):
            continue
        for attempt in history.attempts(run.run_id):
            key = _node_key(attempt.node)
            if attempt.step_name == PREFLIGHT_STEP:
                reached.setdefault(key, (attempt.node, run.run_id))
            elif attempt.step_name == step and _attempted(attempt):
                attempted.add(key)
    kept = {_node_key(node) for node in recorded} | attempted
    untouched = [reached[key] for key in sorted(reached) if key not in kept]
    return (
        [node for node, _ in untouched],
        attempted,
        list(dict.fromkeys(run_id for _, run_id in untouched)),
    )


def _attempted(attempt: AttemptRecord) -> bool:
    """An applied attempt whose script was sent: it may have changed the node, whether it
    succeeded, failed, or ended where nobody saw (``pipeline_end`` None while ``running``).
    Only a script never sent (``unsent``) cannot have reached it."""
    return not attempt.check_only and attempt.pipeline_end != "unsent"


def _shared_documents(
    runs: Iterable[RunRecord], cluster: str | None, given: Mapping[str, Any]
) -> list[str]:
    """The MsDtsSrvr.ini.xml texts the ``ssis-clustered`` runs (not plans) on ``cluster``
    with the undo's ``shared_folder`` write there, newest first, each once: the file's
    text as ssis-clustered renders it from the run's journaled parameters. A run whose
    parameters no longer validate (an older psrunbook) gives none."""
    shared_folder = given.get("shared_folder")
    if not isinstance(shared_folder, str) or not shared_folder.strip():
        return []
    from psrunbook.runbooks.ssis_clustered import (  # noqa: PLC0415 (ssis_clustered imports _ssis)
        SsisClusteredParameters,
        config_document,
    )

    wanted = shared_folder.rstrip("\\").casefold()
    documents: list[str] = []
    for run in runs:  # newest first
        theirs = run.parameters.get("shared_folder")
        if (
            run.runbook != CLUSTERED
            or run.mode != "run"
            or run.cluster != cluster
            or not isinstance(theirs, str)
            or theirs.rstrip("\\").casefold() != wanted
            or not _same_version(run, given.get("sql_version"))
        ):
            continue
        try:
            document = config_document(SsisClusteredParameters.model_validate(run.parameters))
        except ValidationError:
            continue
        if document not in documents:
            documents.append(document)
    return documents


def _same_version(run: RunRecord, sql_version: object) -> bool:
    """Whether ``run`` was for the SSIS of ``sql_version`` (unknown on either side: yes)."""
    wanted = _service_name(sql_version)
    theirs = _service_name(run.parameters.get("sql_version"))
    return wanted is None or theirs is None or wanted == theirs


def _shared_config(
    history: RunHistory, runs: Iterable[RunRecord], shared_folder: object
) -> tuple[list[str], dict[str, Any]] | None:
    """(the runs it comes from, what the first change of ``shared_folder``'s file found
    there), if any.

    The folders and whether the file existed are the first changing attempt's; the file's
    text and hash are those of the first attempt that replaced the file itself. A first
    run that only granted rights (the file already held its document) made no backup; a
    later run that rewrote the file (other parameters) copied the file as found to the
    first backup, which the undo must put back, not delete."""
    if not isinstance(shared_folder, str) or not shared_folder.strip():
        return None
    wanted = f"{shared_folder.rstrip(chr(92))}\\{CONFIG_FILE_NAME}".casefold()
    first: tuple[str, dict[str, Any]] | None = None
    replaced: tuple[str, dict[str, Any]] | None = None
    backups: list[str] = []
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        for attempt in history.attempts(run.run_id):
            result = attempt.result or {}
            if (
                attempt.step_name != SHARED_STEP
                or not _applied_change(attempt)
                or str(result.get("ConfigFile", "")).casefold() != wanted
            ):
                continue
            if first is None:
                first = run.run_id, shared_record(result)
            if replaced is None and _file_changes(result):
                replaced = run.run_id, _document(result)
            if isinstance(result.get("BackupFile"), str):
                backups.append(result["BackupFile"])
    if first is None:
        return None
    record = {**first[1], "backup_files": backups}
    run_ids = [first[0]]
    if record["file_existed"] and record["document"] is None and replaced is not None:
        record |= replaced[1]
        run_ids.append(replaced[0])
    return run_ids, record


def _file_changes(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in result.get("FileChanges") or [] if isinstance(c, dict)]


def _document(result: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` (the file's text as found, when the attempt replaced an existing file)
    and, when the attempt recorded it (psrunbook since the undo restores bytes),
    ``document_sha256``: the SHA-256 of its bytes, which its backup holds."""
    before = result.get("Before")
    before = before if isinstance(before, dict) else {}
    changes = _file_changes(result)
    previous = changes[0].get("Before") if changes else None
    if not before.get("ConfigFileExists") or not isinstance(previous, str):
        return {"document": None}
    found: dict[str, Any] = {"document": previous}
    sha256 = result.get("BackupSha256")
    if isinstance(sha256, str) and sha256:
        found["document_sha256"] = sha256.upper()
    return found


def shared_record(result: Mapping[str, Any]) -> dict[str, Any]:
    """``recorded_shared_config`` from a shared-config result."""
    before = result.get("Before")
    before = before if isinstance(before, dict) else {}
    return {
        "config_file": str(result.get("ConfigFile", "")),
        "file_existed": bool(before.get("ConfigFileExists")),
        **_document(result),
        "created_folders": [str(f) for f in before.get("MissingFolders") or []],
    }


def _service_states(
    history: RunHistory, runs: Iterable[RunRecord], sql_version: object
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """(node -> ``{"start_type", "status"}`` the first service-manual attempt found there,
    the runs those came from)."""
    wanted = _service_name(sql_version)
    first: dict[str, dict[str, str] | None] = {}
    used: list[str] = []
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        theirs = _service_name(run.parameters.get("sql_version"))
        if wanted is not None and theirs is not None and theirs != wanted:
            continue
        recorded = recorded_service_states(history.attempts(run.run_id))
        fresh = {node: state for node, state in recorded.items() if node not in first}
        first.update(fresh)
        if any(state is not None for state in fresh.values()):
            used.append(run.run_id)
    states = {node: state for node, state in first.items() if state is not None}
    return states, used


def recorded_service_states(
    attempts: Iterable[AttemptRecord],
) -> dict[str, dict[str, str] | None]:
    """Node -> ``{"start_type", "status"}`` of the SSIS service as the first applied
    service-manual attempt there found it, changed or not (None: a state the undo cannot
    give back, so nothing usable is recorded for the node)."""
    states: dict[str, dict[str, str] | None] = {}
    for attempt in attempts:  # in the order they began
        if (
            attempt.step_name != SERVICE_STEP
            or attempt.check_only
            or attempt.status != "succeeded"
            or attempt.result is None
            or attempt.node in states
        ):
            continue
        before = attempt.result.get("Before")
        before = before if isinstance(before, dict) else {}
        start_type, status = before.get("StartType"), before.get("Status")
        states[attempt.node] = (
            {"start_type": start_type, "status": status}
            if start_type in RESTORABLE_START_TYPES and status in RESTORABLE_STATUSES
            else None
        )
    return states


def _service_name(sql_version: object) -> str | None:
    """The SSIS service of the version given; None when unknown (any run counts)."""
    if sql_version is None:
        return None
    try:
        return ssis_version(str(sql_version)).service_name
    except ValueError:
        return None


def _since_last_undo(
    runs: Iterable[RunRecord], cluster: str | None
) -> tuple[list[RunRecord], RunRecord | None]:
    """(``ssis-clustered`` runs (not plans) on ``cluster``, newest first, back to the last
    undo that succeeded there; that undo, None when there is none)."""
    found: list[RunRecord] = []
    for run in runs:  # newest first
        if run.cluster != cluster or run.mode != "run":
            continue
        if run.runbook == UNDO and run.outcome == "succeeded":
            return found, run
        if run.runbook == CLUSTERED:
            found.append(run)
    return found, None


def _registry_key(sql_version: object) -> str | None:
    """The ServiceConfigFile key of the version given; None when unknown (any key counts)."""
    if sql_version is None:
        return None
    try:
        return ssis_version(str(sql_version)).registry_path
    except ValueError:
        return None


def recorded_values(attempts: Iterable[AttemptRecord], key: str | None) -> dict[str, str | None]:
    """Node -> ``Before.ConfigFile`` of the first attempt that changed it on that node
    (None: that attempt found no value, so nothing usable is recorded for the node)."""
    values: dict[str, str | None] = {}
    for attempt in attempts:  # in the order they began
        if not _changed_registry(attempt) or attempt.node in values:
            continue
        result = attempt.result or {}
        if key is not None and str(result.get("Key", "")).casefold() != key.casefold():
            continue
        before = result.get("Before")
        value = before.get("ConfigFile") if isinstance(before, dict) else None
        values[attempt.node] = value if isinstance(value, str) and value else None
    return values


def _changed_registry(attempt: AttemptRecord) -> bool:
    return attempt.step_name == REGISTRY_STEP and _applied_change(attempt)


def _applied_change(attempt: AttemptRecord) -> bool:
    """An attempt that ran for real, succeeded and changed something."""
    return not attempt.check_only and attempt.status == "succeeded" and attempt.changed is True
