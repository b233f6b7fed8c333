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
    /// the caller can pass a pooled array longer than the batch. With <paramref name="allOrNothing"/>,
    /// admitted checks are refunded when any check is refused, so the batch consumes nothing; between the
    /// check and the refund other callers may see the capacity as used, which errs on the side of refusing.
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

        if (HasDistinctKeys(checks))
        {
            await CheckDistinctAsync(tenantId, checks, results).ConfigureAwait(false);
        }
        else
        {
            await CheckGroupedAsync(tenantId, checks, results).ConfigureAwait(false);
        }

        if (allOrNothing && AnyRefused(results.AsSpan(0, checks.Count)))
        {
            await RefundAdmittedAsync(tenantId, checks, results).ConfigureAwait(false);
        }

        stats.RecordBatch(tenantId, checks, results.AsSpan(0, checks.Count));
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

    private async Task CheckDistinctAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results)
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
                    ValueTask<RateLimitCheckResult> call = Limiter(tenantId, checks[i].Key!).CheckAsync(checks[i].Check!);
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

    private async Task CheckGroupedAsync(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, RateLimitCheckResult[] results)
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
                    singles.Add((indices[0], limiter.CheckAsync(checks[indices[0]].Check!)));
                }
                else
                {
                    var many = new RateLimitCheck[indices.Count];
                    for (int j = 0; j < many.Length; j++)
                    {
                        many[j] = checks[indices[j]].Check!;
                    }

                    multiples.Add((indices, limiter.CheckManyAsync(many)));
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
        for (int i = 0; i < checks.Count; i++)
        {
            RateLimitCheck check = checks[i].Check!;
            RateLimitCheckResult result = results[i];

            // Shadow checks never consumed anything they would be refused for; admitted ones did consume.
            if (result.Decision.Allowed && check.Cost > 0 && result.Outcome != RateLimitOutcome.ShadowRejected)
            {
                refunds.Add(Limiter(tenantId, checks[i].Key!).RefundAsync(check.Window, check.Rule, check.Cost));
                RateLimitDecision refunded = result.Decision with
                {
                    Allowed = false,
                    Remaining = Math.Min(result.Decision.Limit, result.Decision.Remaining + check.Cost),
                };
                results[i] = new RateLimitCheckResult(refunded, RateLimitOutcome.Rejected);
            }
            else if (result.Decision.Allowed && result.Outcome != RateLimitOutcome.ShadowRejected)
            {
                results[i] = new RateLimitCheckResult(result.Decision with { Allowed = false }, RateLimitOutcome.Rejected);
            }
        }

        foreach (ValueTask refund in refunds)
        {
            await refund.ConfigureAwait(false);
        }
    }

    private IRateLimiterGrain Limiter(string tenantId, string clientKey) =>
        grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(tenantId, clientKey));
}
