"""The job's report: tables and figures as Markdown, CSV and PNG, and one self-contained HTML page.

The report is first a list of blocks (headings, paragraphs, tables, figures); the Markdown and
HTML renderers read the same blocks, so the two always show the same numbers.
"""

import base64
import html
from pathlib import Path

import numpy as np

from ..utils._optional import import_optional
from ._cache import atomic_write, write_csv
from ._plots import (
    plot_ablation,
    plot_confusion,
    plot_search_history,
    plot_training_history,
)

_METRICS = ("precision", "recall", "f1", "accuracy")


def write_report(output, config, bunch, kinds, seeds):
    """Write ``report.md``, ``report.html``, the CSV tables and the PNG figures into ``output``.

    Returns
    -------
    paths : dict of str to Path
        The files written, by kind (``markdown``, ``html``, ``summary``, ...).
    main_table : str
        The test scores of every model, as Markdown (what ``skmoe run`` prints).
    """
    output = Path(output)
    import_optional("matplotlib", needed_by="the skmoe run report")
    tables = _tables(seeds, kinds)
    paths = {}
    for name, rows in tables.items():
        paths[name] = output / f"{name}.csv"
        write_csv(paths[name], rows)
    figures = _figures(output / "figures", seeds, bunch.target_names)
    blocks = _blocks(config, bunch, kinds, seeds, tables, figures)
    pages = {"markdown": ("report.md", to_markdown(blocks, output)),
             "html": ("report.html", to_html(blocks, f"skmoe run: {config['dataset']['loader']}"))}
    for kind, (name, text) in pages.items():
        paths[kind] = output / name
        atomic_write(paths[kind], lambda partial, text=text: partial.write_text(text))
    main_table = next(block for block in blocks if block[0] == "table")
    return paths, to_markdown([main_table], output)


# --- tables ---------------------------------------------------------------------------------

def _tables(seeds, kinds):
    """The report's tables as lists of rows (one CSV each), every seed's rows together."""
    tables = {"summary": [], "per_class": [], "ensembles": [], "efficiency": [], "ablation": []}
    for seed in seeds:
        tables["summary"] += _summary_rows(seed, kinds)
        tables["per_class"] += _per_class_rows(seed)
        tables["ensembles"] += _ensemble_rows(seed)
        tables["efficiency"] += _efficiency_rows(seed)
        tables["ablation"] += [{"seed": seed["seed"], **row} for row in seed["ablation"]]
    return tables


def _summary_rows(seed, kinds):
    majority_f1 = seed["majority"].macro.f1
    return [{
        "seed": seed["seed"], "model": model, "kind": kinds.get(model, "ensemble"),
        "macro_precision": report.macro.precision, "macro_recall": report.macro.recall,
        "macro_f1": report.macro.f1, "mean_class_accuracy": report.macro.accuracy,
        "overall_accuracy": report.overall_accuracy,
        **_operating_point_columns(report.operating_point),
        "majority_macro_f1": majority_f1,
        "beats_majority": bool(report.macro.f1 > majority_f1 + 1e-12),
    } for model, report in seed["reports"].items()]


def _operating_point_columns(point):
    """Escape and overkill rates with their 95% intervals (blank without a defect-free
    class)."""
    columns = {}
    for name in ("escape", "overkill"):
        rate = getattr(point, f"{name}_rate", "")
        low, high = getattr(point, f"{name}_interval", ("", ""))
        columns.update({f"{name}_rate": rate, f"{name}_low": low, f"{name}_high": high})
    return columns


def _per_class_rows(seed):
    return [{"seed": seed["seed"], "model": model, "class": name,
             **{metric: float(getattr(report, metric)[i]) for metric in _METRICS},
             "support": int(report.support[i])}
            for model, report in seed["reports"].items()
            for i, name in enumerate(report.target_names)]


def _ensemble_rows(seed):
    """Threshold and weight of every expert in every ensemble (blank: left out by max_experts)."""
    rows = []
    for label, fitted in seed["ensembles"].items():
        voters, tuning = fitted["voters"], fitted["tuning"]
        for name in fitted["experts"]:
            index = voters.index(name) if name in voters else None
            rows.append({
                "seed": seed["seed"], "ensemble": label, "expert": name,
                "votes": index is not None,
                "threshold": _threshold_text(np.asarray(tuning.thresholds), index),
                "weight": "" if index is None else float(tuning.weights[index]),
                # A plain vote learns nothing: the guard has nothing to decide.
                "tuning_kept": "" if fitted["plain"] else bool(tuning.tuning_kept),
                "validation_objective": float(tuning.score),
            })
    return rows


def _efficiency_rows(seed):
    """Each expert's training and inference cost; an ensemble's is that of its voters."""
    records = seed["records"]
    rows = [{"seed": seed["seed"], "model": name, "fit_seconds": record["fit_seconds"],
             "epochs": record["epochs"], "seconds_per_epoch": record["seconds_per_epoch"],
             "images_per_second": record["images_per_second"],
             "peak_memory_mib": record["peak_memory_mib"]["mib"],
             "memory_measured": record["peak_memory_mib"]["device"]}
            for name, record in records.items()]
    for label, fitted in seed["ensembles"].items():
        voters = fitted["voters"]
        rows.append({
            "seed": seed["seed"], "model": label,
            "fit_seconds": sum(records[n]["fit_seconds"] for n in voters),
            "tuning_seconds": fitted["seconds"],
            # The voters run one after the other; the vote itself costs next to nothing.
            "images_per_second": 1 / sum(records[n]["seconds_per_image"] for n in voters),
            "peak_memory_mib": max(records[n]["peak_memory_mib"]["mib"] for n in voters),
        })
    return rows


def _threshold_text(thresholds, index):
    if index is None:
        return ""
    value = thresholds[index]
    return f"{float(value):.4f}" if np.ndim(value) == 0 else " ".join(f"{v:.3f}" for v in value)


def mean_sd(values, digits=4):
    """``"m"`` for one value, ``"m (sd)"`` for several (sample standard deviation)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ({values.std(ddof=1):.{digits}f})"


def _by_model(rows, key="model"):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


# --- figures --------------------------------------------------------------------------------

def _figures(folder, seeds, target_names):
    """Figures of the first seed (and the ablation of all seeds), by name."""
    folder.mkdir(parents=True, exist_ok=True)
    first = seeds[0]
    figures = {"ablation": plot_ablation([r for s in seeds for r in s["ablation"]],
                                         folder / "ablation.png")}
    best_expert = max(first["records"], key=lambda m: first["reports"][m].macro.f1)
    for label in [best_expert, *first["ensembles"]]:
        figures[f"confusion {label}"] = plot_confusion(
            first["y_test"], first["predictions"][label], target_names,
            folder / f"confusion-{_file_name(label)}.png", title=f"{label} (test)")
    for label, fitted in first["ensembles"].items():
        if not label.startswith("Ours"):
            continue
        figures[f"search {label}"] = plot_search_history(
            fitted["tuning"].history, folder / f"search-{_file_name(label)}.png",
            title=f"{label}: search on validation data")
    for name, record in first["records"].items():
        path = plot_training_history(first["folder"] / "experts" / name, record["history_parts"],
                                     folder / f"history-{_file_name(name)}.png", title=name)
        if path is not None:
            figures[f"history {name}"] = path
    return figures


def _file_name(label):
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in label.lower())


# --- blocks ---------------------------------------------------------------------------------

def _blocks(config, bunch, kinds, seeds, tables, figures):
    seed_list = [s["seed"] for s in seeds]
    several = len(seeds) > 1
    spread = " mean (sd) over seeds " + ", ".join(map(str, seed_list)) if several else ""
    counts = _class_counts(bunch)
    rarest = min(counts, key=counts.get)
    blocks = [
        ("h1", f"skmoe run: {config['dataset']['loader']}"),
        ("p", f"{len(bunch.images)} images, classes "
              + ", ".join(f"{c} ({n})" for c, n in counts.items())
              + f"; split: {config['dataset']['split']}; seeds {seed_list}; experts: "
              + ", ".join(f"{n} ({k})" for n, k in kinds.items()) + "."),
        ("h2", "Test scores"),
        ("p", f"Test set,{spread or ' one seed'}. 'Voting': thresholds 0.5 and equal weights; "
              "'Ours 1s': the tuned vote of one-stage classifiers and detectors; 'Ours 2s': of "
              "two-stage classifiers and detectors. Beside them, the same experts combined by "
              "'Soft mean' (the mean of their probabilities) and 'Stacking' (a logistic "
              "regression on their validation probabilities); '2s': of the two-stage experts. "
              f"Rarest class: {rarest}."
              + (f" Escape: the share of defective test images decided defect-free "
                 f"({bunch.background_class!r}); overkill: the share of defect-free ones "
                 "decided defective; [95% Wilson interval] for one seed (per seed in "
                 "summary.csv)." if bunch.get("background_class") is not None else "")),
        _summary_table(tables["summary"], tables["per_class"], rarest),
    ]
    weak = sorted({r["model"] for r in tables["summary"]
                   if r["kind"] != "ensemble" and not r["beats_majority"]})
    if weak:
        blocks.append(("p", "No better than predicting the majority class (macro F1) on at least "
                            "one seed: " + ", ".join(weak) + "."))
    blocks.append(("h2", "Per class"))
    for model, rows in _by_model(tables["per_class"]).items():
        blocks += [("h3", model), _per_class_table(rows)]
    blocks += [("h2", "Ensembles"),
               ("p", "Thresholds and weights learned on the validation images (first rows: seed "
                     f"{seed_list[0]}); 'tuning kept' is the guard's decision."),
               ("table", ["seed", "ensemble", "expert", "votes", "threshold", "weight",
                          "tuning kept"],
                [[r["seed"], r["ensemble"], r["expert"], r["votes"], r["threshold"],
                  _number(r["weight"]), r["tuning_kept"]] for r in tables["ensembles"]])]
    blocks += [("figure", figures[key], key) for key in figures if key.startswith("search")]
    blocks += [("h2", "Ensemble size"),
               ("p", "Every subset of experts (a seeded sample where there are too many), tuned "
                     "on validation and scored on test from the saved probabilities."),
               _ablation_table(tables["ablation"]),
               ("figure", figures["ablation"], "macro F1 per ensemble size"),
               ("h3", "Best ensemble of each size (per-class F1)"),
               ("p", "Chosen by test macro F1, as in the reference's figure: an optimistic "
                     "view of what a size can reach, not a selection to deploy."),
               _best_per_size_table(tables["ablation"])]
    blocks += [("h2", "Efficiency"),
               ("p", "Training seconds per epoch, inference images per second after a warm-up "
                     "batch, peak memory while the expert trained and predicted (GPU when "
                     "used, else the process's peak resident memory). An ensemble's speed is "
                     "its voting experts' run one after the other."),
               _efficiency_table(tables["efficiency"])]
    blocks += [("h2", "Confusion matrices (first seed)")]
    blocks += [("figure", path, key[len("confusion "):]) for key, path in figures.items()
               if key.startswith("confusion")]
    history = [(key, path) for key, path in figures.items() if key.startswith("history")]
    if history:
        blocks += [("h2", "Training curves (first seed)")]
        blocks += [("figure", path, key[len("history "):]) for key, path in history]
    return blocks


def _class_counts(bunch):
    target = np.asarray(bunch.target)
    if target.ndim == 2:
        return dict(zip(bunch.target_names, target.sum(axis=0).tolist()))
    return {name: int(np.sum(target == name)) for name in bunch.target_names}


def _summary_table(summary, per_class, rarest):
    header = ["model", "macro P", "macro R", "macro F1", "mean class acc", "overall acc",
              f"F1 {rarest}"]
    operating_point = any(r["escape_rate"] != "" for r in summary)
    if operating_point:
        header += ["escape", "overkill"]
    rarest_f1 = _by_model([r for r in per_class if r["class"] == rarest])
    rows = []
    for model, runs in _by_model(summary).items():
        rows.append([model, *(mean_sd([r[key] for r in runs]) for key in (
            "macro_precision", "macro_recall", "macro_f1", "mean_class_accuracy",
            "overall_accuracy")), mean_sd([r["f1"] for r in rarest_f1[model]])])
        if operating_point:
            rows[-1] += [_rate_cell(runs, "escape"), _rate_cell(runs, "overkill")]
    return ("table", header, rows)


def _rate_cell(runs, name):
    """One seed: the rate and its 95% interval; several: mean (sd) over seeds."""
    if len(runs) == 1:
        run = runs[0]
        return (f"{run[name + '_rate']:.4f} [{run[name + '_low']:.3f}, "
                f"{run[name + '_high']:.3f}]")
    return mean_sd([r[name + "_rate"] for r in runs])


def _per_class_table(rows):
    classes = list(dict.fromkeys(r["class"] for r in rows))
    table = []
    for metric in _METRICS:
        cells = [mean_sd([r[metric] for r in rows if r["class"] == c]) for c in classes]
        by_seed = _by_model(rows, key="seed").values()
        macro = mean_sd([np.mean([r[metric] for r in seed_rows]) for seed_rows in by_seed])
        table.append(["F1" if metric == "f1" else metric.capitalize(), *cells, macro])
    support = [str(int(np.mean([r["support"] for r in rows if r["class"] == c])))
               for c in classes]
    table.append(["Support", *support, ""])
    return ("table", ["", *classes, "Macro"], table)


def _ablation_table(rows):
    table = []
    for size, runs in sorted(_by_model(rows, key="size").items()):
        f1 = np.array([r["macro_f1"] for r in runs])
        best = runs[int(np.argmax(f1))]
        table.append([size, len(runs), f"{f1.mean():.4f}", f"{np.median(f1):.4f}",
                      f"{f1.min():.4f}", f"{f1.max():.4f}", best["experts"]])
    return ("table", ["size", "ensembles", "mean F1", "median F1", "min F1", "max F1", "best"],
            table)


def _best_per_size_table(rows):
    classes = [key[3:] for key in rows[0] if key.startswith("f1 ")] if rows else []
    table = []
    for size, runs in sorted(_by_model(rows, key="size").items()):
        best = max(runs, key=lambda r: r["macro_f1"])
        table.append([size, best["experts"], *(f"{best['f1 ' + c]:.4f}" for c in classes),
                      f"{best['macro_f1']:.4f}"])
    return ("table", ["size", "experts", *classes, "macro F1"], table)


def _efficiency_table(rows):
    table = []
    for model, runs in _by_model(rows).items():
        table.append([model, _mean_of(runs, "fit_seconds", 1), _mean_of(runs, "epochs", 0),
                      _mean_of(runs, "seconds_per_epoch", 2),
                      _mean_of(runs, "images_per_second", 1),
                      _mean_of(runs, "peak_memory_mib", 0)])
    return ("table", ["model", "fit s", "epochs", "s / epoch", "images / s", "peak MiB"], table)


def _mean_of(runs, key, digits):
    values = [r[key] for r in runs if r.get(key, "") != ""]
    return f"{np.mean(values):.{digits}f}" if values else ""


def _number(value):
    return f"{value:.4f}" if isinstance(value, float) else value


# --- renderers ------------------------------------------------------------------------------

def to_markdown(blocks, folder):
    """The blocks as Markdown; figures linked relative to ``folder``."""
    lines = []
    for kind, *content in blocks:
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + content[0], ""]
        elif kind == "p":
            lines += [content[0], ""]
        elif kind == "table":
            header, rows = content
            lines.append("| " + " | ".join(map(str, header)) + " |")
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
            lines.append("")
        elif kind == "figure":
            path, caption = content
            lines += [f"![{caption}]({Path(path).relative_to(folder).as_posix()})", ""]
    return "\n".join(lines)


def to_html(blocks, title):
    """The blocks as one HTML page with every figure embedded (no other file needed)."""
    body = []
    for kind, *content in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            body.append(f"<{kind}>{html.escape(content[0])}</{kind}>")
        elif kind == "table":
            header, rows = content
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in header)
            cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
                            + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
        elif kind == "figure":
            path, caption = content
            data = base64.b64encode(Path(path).read_bytes()).decode()
            body.append(f'<figure><img alt="{html.escape(caption)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>'
                        f"{html.escape(caption)}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")
