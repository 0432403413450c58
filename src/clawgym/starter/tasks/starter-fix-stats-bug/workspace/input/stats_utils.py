"""Small statistics helpers used by the household budget scripts."""


def mean(values):
    """Arithmetic mean of a non-empty sequence of numbers. Raises ValueError if it is empty."""
    if not values:
        raise ValueError("mean of empty data")
    return sum(values) / len(values)


def median(values):
    """Median of a non-empty sequence of numbers (need not be sorted).

    For an even number of values it is the mean of the two middle values.
    Raises ValueError if the sequence is empty.
    """
    if not values:
        raise ValueError("median of empty data")
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2]


def mode(values):
    """Most common value of a non-empty sequence; ties go to the value that appears first.

    Raises ValueError if the sequence is empty.
    """
    if not values:
        raise ValueError("mode of empty data")
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts.values())
    for v in values:
        if counts[v] == best:
            return v


def percentile(values, p):
    """The p-th percentile (0 <= p <= 100) of a non-empty sequence (need not be sorted).

    Linear interpolation between closest ranks: with the values sorted as x[0..n-1],
    let k = (n - 1) * p / 100, f = floor(k), c = min(f + 1, n - 1); the result is
    x[f] + (x[c] - x[f]) * (k - f).
    Raises ValueError if the sequence is empty or p is outside [0, 100].
    """
    if not values:
        raise ValueError("percentile of empty data")
    if p < 0 or p > 100:
        raise ValueError("p must be in [0, 100]")
    k = (len(values) - 1) * p / 100
    f = int(k)
    c = f + 1
    return values[f] + (values[c] - values[f]) * (k - f)
