"""The data contract of the lending_club pipeline, checked by `mlpipe test` before any training:
the new loans have the training loans' columns, the label is good/bad with a plausible share of bad
loans, and the numeric columns are numbers. Standard library only; runs in well under a second."""
import csv
import sys

NUMERIC = ["funded_amnt", "int_rate", "annual_inc", "revol_util", "delinq_2yrs", "inq_last_6mths"]


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        return rows, list(rows[0].keys()) if rows else []


def main():
    problems = []
    train, train_cols = read("data/loans.csv")
    new, new_cols = read("data/new_loans.csv")
    if "Class" not in train_cols:
        problems.append("data/loans.csv has no Class column")
    if new_cols != train_cols:
        problems.append(f"data/new_loans.csv columns differ: {sorted(set(new_cols) ^ set(train_cols))}")
    labels = {r["Class"] for r in train}
    if not labels <= {"good", "bad"}:
        problems.append(f"Class values other than good/bad: {sorted(labels - {'good', 'bad'})}")
    bad = sum(r["Class"] == "bad" for r in train) / max(len(train), 1)
    if not 0.01 <= bad <= 0.2:
        problems.append(f"share of bad loans {bad:.3f} outside [0.01, 0.2]")
    for name, rows in (("data/loans.csv", train), ("data/new_loans.csv", new)):
        for i, r in enumerate(rows, start=2):
            for col in NUMERIC:
                value = r.get(col, "")
                if value == "":
                    continue  # missing values are the schema's business
                try:
                    float(value)
                except ValueError:
                    problems.append(f"{name}:{i}: {col} = {value!r} is not a number")
                    break
    print(f"{len(train)} training loans ({bad:.1%} bad), {len(new)} new loans, {len(train_cols)} columns")
    for p in problems[:20]:
        print("problem:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
