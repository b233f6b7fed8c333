using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// Blocks a key that keeps getting rejected, with a block that doubles for repeat offenders.
/// </summary>
/// <remarks>
/// <para>
/// Counting: rejections are counted in a fixed window of <see cref="PenaltyRule.WithinMs"/> that starts at the
/// first counted rejection; a rejection at or after its end starts a new window with a count of 1. Rejections
/// while the key is blocked are not counted, so a block never extends itself.
/// </para>
/// <para>
/// Blocking: the rejection that brings the count to <see cref="PenaltyRule.Rejections"/> blocks the key until
/// now + min(BlockMs × 2^level, MaxBlockMs), then increments the level and clears the count.
/// </para>
/// <para>
/// Decay: the level returns to 0 once the key reaches <c>blockEnd + max(WithinMs, lastBlockDuration)</c>
/// without a new block, where blockEnd is the end of its latest block (automatic or manual) and
/// lastBlockDuration the length of its latest automatic block. At exactly that instant the level is already 0.
/// </para>
/// </remarks>
public static class RateLimitPenalties
{
    // 2^62 × 1 ms is already past any MaxBlockMs, so higher levels add nothing.
    private const int MaxLevel = 62;

    /// <summary>Whether the key is blocked at <paramref name="nowMs"/>.</summary>
    /// <param name="state">The key's penalty state.</param>
    /// <param name="nowMs">Unix ms.</param>
    /// <param name="retryAfterMs">Milliseconds until the block ends; 0 when not blocked.</param>
    public static bool IsBlocked(RateLimitPenaltyState state, long nowMs, out long retryAfterMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        retryAfterMs = Math.Max(0, state.BlockedUntilMs - nowMs);
        return retryAfterMs > 0;
    }

    /// <summary>Counts one rejection by the rate limit, blocking the key when it reaches the rule's count.</summary>
    public static void RecordRejection(RateLimitPenaltyState state, PenaltyRule rule, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rule);
        if (IsBlocked(state, nowMs, out _))
        {
            return;
        }

        state.Level = CurrentLevel(state, rule, nowMs);
        if (state.Rejections == 0 || nowMs >= state.CountStartMs + rule.WithinMs)
        {
            state.CountStartMs = nowMs;
            state.Rejections = 1;
        }
        else
        {
            state.Rejections++;
        }

        if (state.Rejections < rule.Rejections)
        {
            return;
        }

        long duration = BlockDuration(rule, state.Level);
        state.BlockedUntilMs = nowMs + duration;
        state.LastBlockMs = duration;
        state.Level = Math.Min(state.Level + 1, MaxLevel);
        state.Rejections = 0;
        state.CountStartMs = 0;
        state.Manual = false;
        state.Reason = null;
    }

    /// <summary>The level at <paramref name="nowMs"/> after decay: how many doublings the next block would get.</summary>
    public static int CurrentLevel(RateLimitPenaltyState state, PenaltyRule rule, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rule);
        if (state.Level == 0)
        {
            return 0;
        }

        long quiet = Math.Max(rule.WithinMs, state.LastBlockMs);
        return nowMs >= state.BlockedUntilMs + quiet ? 0 : state.Level;
    }

    /// <summary>How long a block at <paramref name="level"/> lasts: BlockMs × 2^level, capped at MaxBlockMs.</summary>
    public static long BlockDuration(PenaltyRule rule, int level)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (level >= MaxLevel || rule.BlockMs > rule.MaxBlockMs >> level)
        {
            return rule.MaxBlockMs;
        }

        return Math.Min(rule.BlockMs << level, rule.MaxBlockMs);
    }

    /// <summary>Blocks the key by hand until <paramref name="untilMs"/>, replacing any current block; the level is left as it is.</summary>
    public static void Block(RateLimitPenaltyState state, long untilMs, string? reason)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.BlockedUntilMs = untilMs;
        state.Manual = true;
        state.Reason = reason;
        state.Rejections = 0;
        state.CountStartMs = 0;
    }

    /// <summary>Lifts any block and pardons the key: count, level and reason are cleared.</summary>
    public static void Unblock(RateLimitPenaltyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Rejections = 0;
        state.CountStartMs = 0;
        state.BlockedUntilMs = 0;
        state.LastBlockMs = 0;
        state.Level = 0;
        state.Manual = false;
        state.Reason = null;
    }

    /// <summary>
    /// Whether the state behaves like a clean record at <paramref name="nowMs"/> under <paramref name="rule"/>
    /// (null: the key has no penalty rule, only manual blocks count), so it need not be stored.
    /// </summary>
    public static bool IsIdle(RateLimitPenaltyState state, PenaltyRule? rule, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (IsBlocked(state, nowMs, out _))
        {
            return false;
        }

        if (rule is null)
        {
            return true;
        }

        return CurrentLevel(state, rule, nowMs) == 0 && (state.Rejections == 0 || nowMs >= state.CountStartMs + rule.WithinMs);
    }
}
