using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.RateLimiting;

/// <summary>Persisted totals of one tenant.</summary>
public sealed class RateLimitStatsState
{
    /// <summary>Checks made.</summary>
    public long Checks { get; set; }

    /// <summary>Checks admitted.</summary>
    public long Allowed { get; set; }

    /// <summary>Checks refused.</summary>
    public long Rejected { get; set; }

    /// <summary>Admitted with at least 80% used.</summary>
    public long NearLimit { get; set; }

    /// <summary>Shadow-mode refusals.</summary>
    public long ShadowRejected { get; set; }

    /// <summary>Refused because blocked.</summary>
    public long Blocked { get; set; }

    /// <summary>When counting started (Unix ms).</summary>
    public long SinceUnixMs { get; set; }

    /// <summary>Refusals of the most refused keys (bounded, approximate beyond the top).</summary>
    public Dictionary<string, long> RejectedByKey { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A tenant's rate-limit totals. The per-key refusal table is bounded: past
/// <see cref="MaxTrackedKeys"/> the less refused half is dropped, so a key that is refused often stays
/// and the top list is exact for keys that dominate.
/// </summary>
public sealed class RateLimitStatsGrain(
    [PersistentState("ratelimit-stats")] IPersistentState<RateLimitStatsState> state) : Grain, IRateLimitStatsGrain
{
    /// <summary>Most keys whose refusals are tracked.</summary>
    public const int MaxTrackedKeys = 2_000;

    /// <summary>Keys listed in <see cref="RateLimitStats.TopLimitedKeys"/>.</summary>
    public const int TopKeys = 10;

    private bool _changedSinceWrite;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Counters are cheap to lose a minute of, expensive to write per flush.
        RegisterGrainTimer(WriteIfChangedAsync, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task AddAsync(RateLimitStatsDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        RateLimitStatsState totals = state.State;
        if (totals.SinceUnixMs == 0)
        {
            totals.SinceUnixMs = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        }

        totals.Checks += delta.Checks;
        totals.Allowed += delta.Allowed;
        totals.Rejected += delta.Rejected;
        totals.NearLimit += delta.NearLimit;
        totals.ShadowRejected += delta.ShadowRejected;
        totals.Blocked += delta.Blocked;
        foreach ((string key, long count) in delta.RejectedByKey)
        {
            totals.RejectedByKey[key] = totals.RejectedByKey.GetValueOrDefault(key) + count;
        }

        if (totals.RejectedByKey.Count > MaxTrackedKeys)
        {
            foreach (string key in totals.RejectedByKey.OrderBy(p => p.Value).Take(totals.RejectedByKey.Count - (MaxTrackedKeys / 2)).Select(p => p.Key).ToList())
            {
                totals.RejectedByKey.Remove(key);
            }
        }

        _changedSinceWrite = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RateLimitStats> GetAsync()
    {
        RateLimitStatsState totals = state.State;
        RateLimitKeyCount[] top = totals.RejectedByKey
            .OrderByDescending(p => p.Value)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(TopKeys)
            .Select(p => new RateLimitKeyCount(p.Key, p.Value))
            .ToArray();
        return Task.FromResult(new RateLimitStats(
            totals.Checks, totals.Allowed, totals.Rejected, totals.NearLimit, totals.ShadowRejected, totals.Blocked, top, totals.SinceUnixMs));
    }

    private async Task WriteIfChangedAsync(CancellationToken cancellationToken)
    {
        if (_changedSinceWrite)
        {
            _changedSinceWrite = false;
            await state.WriteStateAsync(cancellationToken);
        }
    }
}
