using System.Diagnostics;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Per-caller latency samples in a log-linear histogram (1 µs .. ~17 s, ~3% buckets), merged at the
/// end, so recording costs an index computation and an increment, not an allocation.
/// </summary>
internal sealed class LatencyRecorder
{
    private const int SubBuckets = 32;
    private readonly long[] _counts = new long[64 * SubBuckets];

    public long Count { get; private set; }

    /// <summary>The largest sample, exact (the histogram only bounds it within a bucket).</summary>
    public long MaxMicros { get; private set; }

    public void Record(long stopwatchTicks)
    {
        long micros = Math.Max(1, stopwatchTicks * 1_000_000 / Stopwatch.Frequency);
        _counts[Index(micros)]++;
        Count++;
        MaxMicros = Math.Max(MaxMicros, micros);
    }

    public void Merge(LatencyRecorder other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    public double PercentileMicros(double percentile)
    {
        long target = (long)Math.Ceiling(Count * percentile / 100.0);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target && _counts[i] > 0)
            {
                return UpperBound(i);
            }
        }

        return 0;
    }

    private static int Index(long micros)
    {
        int exponent = 63 - (int)long.LeadingZeroCount(micros);
        if (exponent < 5)
        {
            return (int)micros;
        }

        int sub = (int)((micros >> (exponent - 5)) & (SubBuckets - 1));
        return Math.Min((exponent - 4) * SubBuckets + sub, 64 * SubBuckets - 1);
    }

    private static double UpperBound(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        int exponent = index / SubBuckets + 4;
        int sub = index % SubBuckets;
        return ((long)(SubBuckets + sub + 1)) << (exponent - 5);
    }
}
