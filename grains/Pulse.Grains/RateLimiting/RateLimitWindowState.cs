using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// What one rate-limit key remembers between checks. Plain numbers only: it is stored as grain state
/// (System.Text.Json, camelCase) and an idle key should cost next to nothing.
/// </summary>
/// <remarks>
/// All zeros is a fresh key for every algorithm, so <c>new RateLimitWindowState()</c> needs no
/// initialisation and <see cref="RateLimitEvaluator.Reset"/> simply clears the numbers. What each number
/// means depends on <see cref="Algorithm"/>:
/// <list type="table">
/// <item><term>Gcra</term><description><see cref="Value"/> + <see cref="Fraction"/>/<see cref="Scale"/> is the
/// theoretical arrival time (Unix ms); <see cref="Scale"/> is the rule's limit.</description></item>
/// <item><term>TokenBucket, LeakyBucket</term><description><see cref="Value"/> + <see cref="Fraction"/>/<see cref="Scale"/>
/// is the level (cost units taken and not yet refilled) at <see cref="TimeMs"/>; <see cref="Scale"/> is the rule's window.</description></item>
/// <item><term>SlidingWindow</term><description><see cref="Value"/> is the count of the window starting at
/// <see cref="TimeMs"/>, <see cref="Previous"/> that of the window before it.</description></item>
/// <item><term>FixedWindow</term><description><see cref="Value"/> is the count of the window or calendar period
/// starting at <see cref="TimeMs"/>.</description></item>
/// </list>
/// </remarks>
public sealed class RateLimitWindowState
{
    /// <summary>The algorithm these numbers were written by; a rule with another algorithm starts afresh.</summary>
    public RateLimitAlgorithm Algorithm { get; set; }

    /// <summary>The main number: an instant (GCRA), a level (buckets) or a count (windows).</summary>
    public long Value { get; set; }

    /// <summary>The part of <see cref="Value"/> below one unit, in units of 1/<see cref="Scale"/>; never negative.</summary>
    public long Fraction { get; set; }

    /// <summary>The denominator of <see cref="Fraction"/>; 0 when there is no fraction.</summary>
    public long Scale { get; set; }

    /// <summary>Buckets: when <see cref="Value"/> was last brought up to date. Windows: when the counted window started (Unix ms).</summary>
    public long TimeMs { get; set; }

    /// <summary>Sliding window only: the count of the window before the current one.</summary>
    public long Previous { get; set; }
}
