using System.Buffers;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;
using Pulse.Runtime.Invocation;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// Runs checks on the limiter grains and counts them. One grain call per distinct client key: a batch
/// sends every key's checks at once and waits for them together, so its latency is about one round
/// trip, not one per check.
/// </summary>
public sealed class RateLimitService(IGrainFactory grains, RateLimitStatsCollector stats)
{
    [ThreadStatic]
    private static HashSet<string>? t_seenKeys;

    /// <summary>Runs one resolved check.</summary>
    public async ValueTask<RateLimitCheckResult> CheckAsync(string tenantId, string clientKey, RateLimitCheck check)
    {
        RateLimitCheckResult result = await Limiter(tenantId, clientKey).CheckAsync(check).ConfigureAwait(false);
        stats.Record(tenantId, clientKey, result.Outcome);
        return result;
    }

    /// <summary>
    /// Runs resolved checks, answered in order: check i's answer goes to <paramref name="results"/>[i], so
    /// the caller can pass a pooled array longer than the batch. With <paramref name="allOrNothing"/>, every
    /// check is peeked first (<see cref="IRateLimiterGrain.PeekAsync"/>) and the batch consumes only when all
    /// would pass; otherwise the checks within their limits are answered refused with
    /// <see cref="RateLimitOutcome.RolledBack"/> and nothing is consumed. Should a check that passed its peek
    /// be refused when consumed (another caller took the capacity in between), the admitted checks are refunded.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="results"/> is shorter than <paramref name="checks"/>.</exception>
    public async Task CheckBatchAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results, bool allOrNothing)
    {
        ArgumentNullException.ThrowIfNull(checks);
        ArgumentNullException.ThrowIfNull(results);
        if (results.Length < checks.Count)
        {
            throw new ArgumentException($"Room for {results.Length} answers; the batch has {checks.Count} checks.", nameof(results));
        }

        bool distinct = HasDistinctKeys(checks);
        if (allOrNothing)
        {
            await CheckAllOrNothingAsync(tenantId, checks, results, distinct).ConfigureAwait(false);
        }
        else
        {
            await RunAsync(tenantId, checks, results, distinct, peek: false).ConfigureAwait(false);
        }

        stats.RecordBatch(tenantId, checks, results.AsSpan(0, checks.Count));
    }

    private async Task CheckAllOrNothingAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results, bool distinct)
    {
        // Peek before consuming: a refund cannot always undo a consumption (one that lands after a window
        // boundary leaves the previous window's count in place), so a batch that would be refused must never
        // consume. A peek costs a second round trip only for batches that pass.
        await RunAsync(tenantId, checks, results, distinct, peek: true).ConfigureAwait(false);
        if (AnyRefused(results.AsSpan(0, checks.Count)))
        {
            RollBack(results.AsSpan(0, checks.Count));
            return;
        }

        await RunAsync(tenantId, checks, results, distinct, peek: false).ConfigureAwait(false);
        if (AnyRefused(results.AsSpan(0, checks.Count)))
        {
            // Rare: capacity went to another caller between peek and consumption.
            await RefundAdmittedAsync(tenantId, checks, results).ConfigureAwait(false);
        }
    }

    private Task RunAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results, bool distinct, bool peek) =>
        distinct ? CheckDistinctAsync(tenantId, checks, results, peek) : CheckGroupedAsync(tenantId, checks, results, peek);

    // The peeks that passed describe the key as it is (nothing taken); they are refused with the batch.
    // Shadow rejections stay as they are: they are allowed, and consumed nothing.
    private static void RollBack(Span<RateLimitCheckResult> results)
    {
        foreach (ref RateLimitCheckResult result in results)
        {
            if (result.Decision.Allowed && result.Outcome != RateLimitOutcome.ShadowRejected)
            {
                result = new RateLimitCheckResult(result.Decision with { Allowed = false, RetryAfterMs = 0, DelayMs = 0 }, RateLimitOutcome.RolledBack);
            }
        }
    }

    private static bool AnyRefused(ReadOnlySpan<RateLimitCheckResult> results)
    {
        foreach (ref readonly RateLimitCheckResult result in results)
        {
            if (!result.Decision.Allowed)
            {
                return true;
            }
        }

        return false;
    }

    // Most batches name each key once; they need no grouping (a list per key, a second pass). The set is
    // kept per thread and cleared after use: this runs synchronously, and a new one per batch was 20 KB.
    private static bool HasDistinctKeys(IReadOnlyList<ResolvedRateLimitCheck> checks)
    {
        HashSet<string> seen = t_seenKeys ??= new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < checks.Count; i++)
            {
                if (!seen.Add(checks[i].Key!))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            seen.Clear();
        }
    }

    private async Task CheckDistinctAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results, bool peek)
    {
        // Local limiters usually answer within the call. The others travel in a bundle: one message per
        // silo they live on, sent when the bundle closes, so the batch takes about one round trip and a
        // silo handles one message for all its checks. Only the unanswered calls are kept to wait for.
        int count = checks.Count;
        ValueTask<RateLimitCheckResult>[]? calls = null;
        int[]? waiting = null;
        int waitingCount = 0;
        try
        {
            using (GrainCallBundle.Begin())
            {
                for (int i = 0; i < count; i++)
                {
                    IRateLimiterGrain limiter = Limiter(tenantId, checks[i].Key!);
                    ValueTask<RateLimitCheckResult> call = peek ? limiter.PeekAsync(checks[i].Check!) : limiter.CheckAsync(checks[i].Check!);
                    if (call.IsCompletedSuccessfully)
                    {
                        results[i] = call.Result;
                    }
                    else
                    {
                        calls ??= ArrayPool<ValueTask<RateLimitCheckResult>>.Shared.Rent(count);
                        waiting ??= ArrayPool<int>.Shared.Rent(count);
                        calls[waitingCount] = call;
                        waiting[waitingCount++] = i;
                    }
                }
            }

            for (int j = 0; j < waitingCount; j++)
            {
                results[waiting![j]] = await calls![j].ConfigureAwait(false);
            }
        }
        finally
        {
            // Cleared: the calls reference their bundles, which the pool should not keep alive.
            if (calls is not null)
            {
                ArrayPool<ValueTask<RateLimitCheckResult>>.Shared.Return(calls, clearArray: true);
                ArrayPool<int>.Shared.Return(waiting!);
            }
        }
    }

    private async Task CheckGroupedAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results, bool peek)
    {
        // Group by client key, keeping order within a key: checks on one key run in one turn, in order.
        var groups = new Dictionary<string, List<int>>(checks.Count, StringComparer.Ordinal);
        for (int i = 0; i < checks.Count; i++)
        {
            string key = checks[i].Key!;
            if (!groups.TryGetValue(key, out List<int>? indices))
            {
                groups[key] = indices = new List<int>(1);
            }

            indices.Add(i);
        }

        var singles = new List<(int Index, ValueTask<RateLimitCheckResult> Call)>(groups.Count);
        var multiples = new List<(List<int> Indices, ValueTask<RateLimitCheckResult[]> Call)>();
        using (GrainCallBundle.Begin())
        {
            foreach ((string key, List<int> indices) in groups)
            {
                IRateLimiterGrain limiter = Limiter(tenantId, key);
                if (indices.Count == 1)
                {
                    RateLimitCheck check = checks[indices[0]].Check!;
                    singles.Add((indices[0], peek ? limiter.PeekAsync(check) : limiter.CheckAsync(check)));
                }
                else
                {
                    var many = new RateLimitCheck[indices.Count];
                    for (int j = 0; j < many.Length; j++)
                    {
                        many[j] = checks[indices[j]].Check!;
                    }

                    multiples.Add((indices, peek ? limiter.PeekManyAsync(many) : limiter.CheckManyAsync(many)));
                }
            }
        }

        // Every call is already in flight (the bundle sent the remote ones when it closed); awaiting them
        // one after another just collects the answers.
        foreach ((int index, ValueTask<RateLimitCheckResult> call) in singles)
        {
            results[index] = await call.ConfigureAwait(false);
        }

        foreach ((List<int> indices, ValueTask<RateLimitCheckResult[]> call) in multiples)
        {
            RateLimitCheckResult[] answers = await call.ConfigureAwait(false);
            for (int j = 0; j < indices.Count; j++)
            {
                results[indices[j]] = answers[j];
            }
        }
    }

    private async Task RefundAdmittedAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results)
    {
        var refunds = new List<ValueTask>();
        var retakes = new List<ValueTask<RateLimitCheckResult>>();
        for (int i = 0; i < checks.Count; i++)
        {
            RateLimitCheck check = checks[i].Check!;
            RateLimitCheckResult result = results[i];

            // Shadow rejections consumed nothing; every other admitted check is undone and refused with the batch.
            if (!result.Decision.Allowed || result.Outcome == RateLimitOutcome.ShadowRejected)
            {
                continue;
            }

            IRateLimiterGrain limiter = Limiter(tenantId, checks[i].Key!);
            if (check.Cost > 0)
            {
                refunds.Add(limiter.RefundAsync(check.Window, check.Rule, check.Cost));
            }
            else if (check.Cost < 0)
            {
                // A refund in the batch gave capacity back; take it again. In shadow mode, so that capacity
                // used up meanwhile is not held against the key as a rejection (or towards a penalty).
                retakes.Add(limiter.CheckAsync(check with { Cost = -check.Cost, Shadow = true }));
            }

            RateLimitDecision rolledBack = result.Decision with
            {
                Allowed = false,
                DelayMs = 0,
                Remaining = Math.Clamp(result.Decision.Remaining + check.Cost, 0, result.Decision.Limit),
            };
            results[i] = new RateLimitCheckResult(rolledBack, RateLimitOutcome.RolledBack);
        }

        foreach (ValueTask refund in refunds)
        {
            await refund.ConfigureAwait(false);
        }

        foreach (ValueTask<RateLimitCheckResult> retake in retakes)
        {
            await retake.ConfigureAwait(false);
        }
    }

    private IRateLimiterGrain Limiter(string tenantId, string clientKey) =>
        grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(tenantId, clientKey));
}
