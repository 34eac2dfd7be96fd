#!/usr/bin/env python3
"""Writes accountant-fixtures.json: privacy values from Google's dp-accounting for GrowdaPrivacyTests.

How to run (from this folder):

    pip install dp-accounting==0.6.0
    python3 make_accountant_fixtures.py

The committed accountant-fixtures.json was made with dp-accounting 0.6.0 (Python 3, scipy, numpy); the
version that ran is also written into the file ("dpAccountingVersion"). It takes under a minute.

Every value comes from dp_accounting.rdp.RdpAccountant with its default orders and the default
neighbouring relation (add or remove one record):

- "grid": epsilon for PoissonSampledDpEvent(q, GaussianDpEvent(sigma)) self-composed `steps` times
  (q = 1 is a plain GaussianDpEvent), for every q, sigma, steps and delta below.
- "compositions": epsilon for a ComposedDpEvent of several different events: Poisson-sampled Gaussians
  (record-level DP-SGD) and plain Gaussians with sigma = z/2 (the update-level part of a Growda ledger entry).
- "rdp": the RDP value at every default order for a few (q, sigma), after `steps` steps.

Infinite values (dp-accounting's inf) are written as null.
"""

import importlib.metadata
import json
import math
import os

import dp_accounting
from dp_accounting.rdp import rdp_privacy_accountant as rdp

SAMPLING_RATES = [0.004, 0.01, 0.05, 0.1, 0.27, 1.0]
NOISE_MULTIPLIERS = [0.5, 0.7, 1.0, 1.3, 2.0, 4.0]
STEPS = [1, 10, 100, 1000, 10000]
DELTAS = [1e-5, 1e-6]


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def mechanism(q, sigma):
    """The dp-accounting event of one step: a plain Gaussian when q = 1."""
    gaussian = dp_accounting.GaussianDpEvent(sigma)
    return gaussian if q == 1.0 else dp_accounting.PoissonSampledDpEvent(q, gaussian)


def accountant_for(components):
    """An RdpAccountant that has composed every (q, sigma, count) of `components`."""
    events = [dp_accounting.SelfComposedDpEvent(mechanism(c["q"], c["sigma"]), c["count"]) for c in components]
    accountant = rdp.RdpAccountant()
    accountant.compose(dp_accounting.ComposedDpEvent(events))
    return accountant


def grid():
    rows = []
    for q in SAMPLING_RATES:
        for sigma in NOISE_MULTIPLIERS:
            for steps in STEPS:
                accountant = rdp.RdpAccountant()
                accountant.compose(dp_accounting.SelfComposedDpEvent(mechanism(q, sigma), steps))
                for delta in DELTAS:
                    epsilon, order = accountant.get_epsilon_and_optimal_order(delta)
                    rows.append({"q": q, "sigma": sigma, "steps": steps, "delta": delta,
                                 "epsilon": finite_or_none(epsilon), "order": float(order)})
    return rows


# Heterogeneous compositions. q = 1 is a plain Gaussian; the "update-level" ones use sigma = z/2.
COMPOSITIONS = [
    ("three DP-SGD phases", [
        {"q": 0.01, "sigma": 1.1, "count": 500},
        {"q": 0.05, "sigma": 0.8, "count": 200},
        {"q": 0.1, "sigma": 2.0, "count": 50},
    ]),
    ("update-level only, z = 5 and z = 8", [
        {"q": 1.0, "sigma": 2.5, "count": 20},
        {"q": 1.0, "sigma": 4.0, "count": 30},
    ]),
    ("DP-SGD rounds then update-level rounds", [
        {"q": 0.02, "sigma": 1.0, "count": 3000},
        {"q": 1.0, "sigma": 3.0, "count": 10},
    ]),
    ("small rates, large sigma, many steps", [
        {"q": 0.004, "sigma": 4.0, "count": 100000},
        {"q": 0.001, "sigma": 0.9, "count": 20000},
    ]),
    ("one large-rate step and one plain Gaussian", [
        {"q": 0.6, "sigma": 0.6, "count": 1},
        {"q": 1.0, "sigma": 10.0, "count": 1},
    ]),
]


def compositions():
    rows = []
    for name, components in COMPOSITIONS:
        accountant = accountant_for(components)
        for delta in DELTAS:
            epsilon, order = accountant.get_epsilon_and_optimal_order(delta)
            rows.append({"name": name, "components": components, "delta": delta,
                         "epsilon": finite_or_none(epsilon), "order": float(order)})
    return rows


RDP_CASES = [(0.01, 1.0, 1), (0.27, 0.7, 1), (0.004, 4.0, 1000), (0.1, 0.5, 1), (1.0, 1.3, 10)]


def rdp_vectors():
    rows = []
    for q, sigma, steps in RDP_CASES:
        accountant = accountant_for([{"q": q, "sigma": sigma, "count": steps}])
        rows.append({"q": q, "sigma": sigma, "steps": steps, "rdp": [finite_or_none(r) for r in accountant.rdp]})
    return rows


def main():
    fixtures = {
        "generator": "make_accountant_fixtures.py",
        "dpAccountingVersion": importlib.metadata.version("dp-accounting"),
        "orders": [float(a) for a in rdp.DEFAULT_RDP_ORDERS],
        "grid": grid(),
        "compositions": compositions(),
        "rdp": rdp_vectors(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "accountant-fixtures.json")
    with open(path, "w") as f:
        json.dump(fixtures, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(fixtures['grid'])} grid rows, {len(fixtures['compositions'])} compositions")


if __name__ == "__main__":
    main()
