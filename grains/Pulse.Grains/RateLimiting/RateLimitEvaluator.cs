using System.Diagnostics.CodeAnalysis;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// The rate-limit algorithms as pure functions over a <see cref="RateLimitWindowState"/>: no clock, no I/O,
/// no allocation on the non-calendar paths. The caller owns the state (one per key) and the time.
/// </summary>
/// <remarks>
/// <para>
/// Arithmetic is exact: instants and levels are kept as rationals (a whole part plus a fraction over the
/// rule's limit or window) and computed in <see cref="Int128"/>, so no progress is lost between calls and
/// no rounding drifts over many calls. Durations reported back are rounded up to whole milliseconds, so
/// that waiting the reported time is always enough.
/// </para>
/// <para>
/// The <c>cost</c> of a check: positive consumes that much if admitted, all or nothing; zero peeks and never
/// changes the state; negative refunds, giving capacity back but never beyond full. A rejected check consumes
/// nothing. Refunds are always "admitted". A check whose cost can never fit (more than the burst, or more than
/// the limit of a window) is rejected; its retry time is still computed by the same formula and is not a
/// promise. <see cref="RateLimitRuleValidator"/> keeps such costs out.
/// </para>
/// <para>
/// A state written under another algorithm is read as a fresh state, so changing a rule's algorithm starts
/// the key afresh. Changing a limit or window keeps the state and reinterprets it under the new rule.
/// </para>
/// </remarks>
public static partial class RateLimitEvaluator
{
    /// <summary>
    /// Checks (and, when admitted, applies) one request of <paramref name="cost"/> units at <paramref name="nowMs"/>.
    /// </summary>
    /// <param name="state">The key's state; changed only when a non-zero cost is admitted.</param>
    /// <param name="rule">A rule that passed <see cref="RateLimitRuleValidator.TryValidate"/>.</param>
    /// <param name="cost">Units to consume (&gt; 0), to peek (0) or to refund (&lt; 0).</param>
    /// <param name="nowMs">The caller's clock, Unix epoch milliseconds. A clock that steps back is tolerated: time does not run backwards for the state.</param>
    /// <returns>The decision. <see cref="RateLimitDecision.Remaining"/> and <see cref="RateLimitDecision.ResetAfterMs"/> describe the state after the check.</returns>
    /// <remarks>
    /// <list type="bullet">
    /// <item><b>Gcra</b> (redis-cell): emission interval T = windowMs/limit, tolerance τ = T × burst. With TAT the
    /// theoretical arrival time, newTat = max(tat, now) + cost × T, admitted iff newTat − now ≤ τ. Remaining =
    /// floor((τ − (tat' − now))/T) with tat' the TAT after the check (clamped at 0); resetAfter = tat' − now;
    /// retryAfter = (newTat − now) − τ. So exactly <c>burst</c> requests pass at once from idle, then one every T.</item>
    /// <item><b>TokenBucket</b> / <b>LeakyBucket</b>: a bucket of capacity <c>burst</c> that refills (drains, seen as a
    /// leaky meter) continuously at <c>limit</c> per <c>windowMs</c>; admitted iff the tokens are ≥ cost (the level
    /// plus cost is ≤ capacity, which is the same). Remaining = floor(tokens); resetAfter = time until full;
    /// retryAfter = time until tokens ≥ cost. The two admit identically; the state stores the level, so a
    /// zero state is a full bucket.</item>
    /// <item><b>SlidingWindow</b>: two epoch-aligned windows of <c>windowMs</c>; estimate = previous × (1 − elapsed/windowMs)
    /// + current, admitted iff estimate + cost ≤ limit. Remaining = floor(limit − estimate); resetAfter = time until
    /// the estimate is 0 (the end of the next window while the current one holds counts); retryAfter = the exact
    /// time the estimate has decayed enough. A refund only lowers the current window's count, not below 0.</item>
    /// <item><b>FixedWindow</b>: a counter per window [floor(now/windowMs) × windowMs, + windowMs), or per calendar
    /// period of the rule's time zone (see <see cref="RateLimitCalendar"/>); admitted iff count + cost ≤ limit.
    /// Remaining = limit − count; resetAfter and retryAfter = end of the period − now (resetAfter 0 while nothing
    /// is counted, as the limit is then fully available).</item>
    /// </list>
    /// </remarks>
    public static RateLimitDecision Evaluate(RateLimitWindowState state, RateLimitRule rule, long cost, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rule);
        bool fresh = state.Algorithm != rule.Algorithm;
        return rule.Algorithm switch
        {
            RateLimitAlgorithm.Gcra => EvaluateGcra(state, rule, cost, nowMs, fresh),
            RateLimitAlgorithm.TokenBucket or RateLimitAlgorithm.LeakyBucket => EvaluateBucket(state, rule, cost, nowMs, fresh),
            RateLimitAlgorithm.SlidingWindow => EvaluateSliding(state, rule, cost, nowMs, fresh),
            RateLimitAlgorithm.FixedWindow => EvaluateFixed(state, rule, cost, nowMs, fresh),
            _ => ThrowUnknownAlgorithm(rule.Algorithm),
        };
    }

    /// <summary>Gives the key its full capacity back, as if it had never been used.</summary>
    public static void Reset(RateLimitWindowState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Value = 0;
        state.Fraction = 0;
        state.Scale = 0;
        state.TimeMs = 0;
        state.Previous = 0;
    }

    /// <summary>
    /// Leaves the key with no capacity at <paramref name="nowMs"/>; it refills (or its windows expire) normally
    /// afterwards, exactly as if it had just been used up.
    /// </summary>
    public static void Drain(RateLimitWindowState state, RateLimitRule rule, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rule);
        Reset(state);
        state.Algorithm = rule.Algorithm;
        switch (rule.Algorithm)
        {
            case RateLimitAlgorithm.Gcra:
                WriteScaled(state, (Int128)nowMs * rule.Limit + (Int128)rule.WindowMs * rule.EffectiveBurst, rule.Limit);
                break;
            case RateLimitAlgorithm.TokenBucket:
            case RateLimitAlgorithm.LeakyBucket:
                WriteScaled(state, (Int128)rule.EffectiveBurst * rule.WindowMs, rule.WindowMs);
                state.TimeMs = nowMs;
                break;
            case RateLimitAlgorithm.SlidingWindow:
                state.TimeMs = AlignedStart(nowMs, rule.WindowMs);
                state.Value = rule.Limit;
                break;
            case RateLimitAlgorithm.FixedWindow:
                state.TimeMs = FixedPeriod(rule, nowMs).Start;
                state.Value = rule.Limit;
                break;
            default:
                ThrowUnknownAlgorithm(rule.Algorithm);
                break;
        }
    }

    /// <summary>
    /// Whether <paramref name="state"/> behaves exactly like a fresh state at <paramref name="nowMs"/> (fully
    /// refilled, windows expired, or written under another algorithm), so it need not be stored.
    /// </summary>
    public static bool IsIdle(RateLimitWindowState state, RateLimitRule rule, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rule);
        if (state.Algorithm != rule.Algorithm)
        {
            return true;
        }

        return rule.Algorithm switch
        {
            RateLimitAlgorithm.Gcra => ReadScaled(state, rule.Limit) <= (Int128)nowMs * rule.Limit,
            RateLimitAlgorithm.TokenBucket or RateLimitAlgorithm.LeakyBucket => BucketLevel(state, rule, nowMs, fresh: false) == 0,
            RateLimitAlgorithm.SlidingWindow => IsSlidingIdle(state, rule, nowMs),
            RateLimitAlgorithm.FixedWindow => FixedCount(state, FixedPeriod(rule, nowMs).Start, fresh: false) == 0,
            _ => ThrowUnknownAlgorithm<bool>(rule.Algorithm),
        };
    }

    /// <summary>Reads Value + Fraction/Scale in units of 1/<paramref name="scale"/>, rescaling a fraction written under another scale.</summary>
    private static Int128 ReadScaled(RateLimitWindowState state, long scale)
    {
        Int128 whole = (Int128)state.Value * scale;
        if (state.Fraction == 0 || state.Scale <= 0)
        {
            return whole;
        }

        // A rule change of limit or window changes the denominator; the fraction keeps its meaning to within
        // one new unit, which is far below a millisecond or a cost unit.
        return state.Scale == scale ? whole + state.Fraction : whole + (Int128)state.Fraction * scale / state.Scale;
    }

    private static void WriteScaled(RateLimitWindowState state, Int128 value, long scale)
    {
        state.Value = Saturate(value / scale);
        state.Fraction = (long)(value % scale);
        state.Scale = state.Fraction == 0 ? 0 : scale;
    }

    /// <summary>Ceiling of a non-negative <paramref name="value"/> / <paramref name="divisor"/>, as a long that saturates.</summary>
    private static long CeilDiv(Int128 value, long divisor) => value <= 0 ? 0 : Saturate((value + divisor - 1) / divisor);

    private static long Saturate(Int128 value) => value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;

    private static long AlignedStart(long nowMs, long windowMs) => nowMs - ((nowMs % windowMs) + windowMs) % windowMs;

    [DoesNotReturn]
    private static RateLimitDecision ThrowUnknownAlgorithm(RateLimitAlgorithm algorithm) => ThrowUnknownAlgorithm<RateLimitDecision>(algorithm);

    [DoesNotReturn]
    private static T ThrowUnknownAlgorithm<T>(RateLimitAlgorithm algorithm) =>
        throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown rate-limit algorithm.");
}
