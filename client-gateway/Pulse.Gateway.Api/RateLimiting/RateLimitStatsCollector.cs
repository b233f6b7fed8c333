using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// Counts each tenant's checks in the gateway and sends the deltas to the tenant's
/// <see cref="IRateLimitStatsGrain"/> once per <see cref="RateLimitOptions.StatsFlushPeriod"/>: statistics
/// then cost an interlocked add per check instead of a grain call.
/// </summary>
public sealed partial class RateLimitStatsCollector(IGrainFactory grains, IOptions<RateLimitOptions> options, ILogger<RateLimitStatsCollector> logger)
    : BackgroundService
{
    // Distinct refused keys remembered per tenant per flush; the top list needs the heavy hitters, which
    // arrive early and often, not a long tail.
    private const int MaxKeysPerFlush = 1_000;

    private readonly ConcurrentDictionary<string, TenantCounters> _tenants = new(StringComparer.Ordinal);

    /// <summary>Counts one check's outcome.</summary>
    public void Record(string tenantId, string clientKey, RateLimitOutcome outcome)
    {
        TenantCounters counters = _tenants.GetOrAdd(tenantId, static _ => new TenantCounters());
        counters.Record(clientKey, outcome);
    }

    /// <summary>
    /// Counts a batch's outcomes (<paramref name="results"/>[i] for the key of <paramref name="checks"/>[i])
    /// with one add per counter and one lock for the refused keys: per check, the gateway's threads would
    /// contend on the tenant's counters a thousand times a batch. <see cref="RateLimitOutcome.RolledBack"/>
    /// checks are not counted at all: they were within their limits and consumed nothing, so counting them as
    /// refused would list well-behaved keys among the most limited.
    /// </summary>
    public void RecordBatch(string tenantId, IReadOnlyList<ResolvedRateLimitCheck> checks, ReadOnlySpan<RateLimitCheckResult> results)
    {
        TenantCounters counters = _tenants.GetOrAdd(tenantId, static _ => new TenantCounters());
        counters.RecordBatch(checks, results);
    }

    /// <summary>Sends this gateway's pending counts of one tenant now (before a read of its statistics).</summary>
    public Task FlushAsync(string tenantId) =>
        _tenants.TryGetValue(tenantId, out TenantCounters? counters) ? SendAsync(tenantId, counters) : Task.CompletedTask;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StatsFlushPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAllAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Counts of the last period still go out on a graceful stop.
        await FlushAllAsync().ConfigureAwait(false);
    }

    private async Task FlushAllAsync()
    {
        foreach ((string tenantId, TenantCounters counters) in _tenants)
        {
            try
            {
                await SendAsync(tenantId, counters).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogFlushFailed(logger, tenantId, exception);
            }
        }
    }

    private Task SendAsync(string tenantId, TenantCounters counters)
    {
        RateLimitStatsDelta? delta = counters.TakeDelta();
        return delta is null ? Task.CompletedTask : grains.GetGrain<IRateLimitStatsGrain>(tenantId).AddAsync(delta);
    }

    [LoggerMessage(EventId = 9710, Level = LogLevel.Warning, Message = "Could not send rate-limit statistics of tenant {TenantId}; they are dropped")]
    private static partial void LogFlushFailed(ILogger logger, string tenantId, Exception exception);

    private sealed class TenantCounters
    {
        private readonly Lock _keysLock = new();
        private long _checks;
        private long _allowed;
        private long _rejected;
        private long _nearLimit;
        private long _shadowRejected;
        private long _blocked;
        private Dictionary<string, long> _rejectedByKey = new(StringComparer.Ordinal);

        public void Record(string clientKey, RateLimitOutcome outcome)
        {
            if (outcome == RateLimitOutcome.RolledBack)
            {
                return;
            }

            Interlocked.Increment(ref _checks);
            switch (outcome)
            {
                case RateLimitOutcome.Allowed:
                    Interlocked.Increment(ref _allowed);
                    return;
                case RateLimitOutcome.NearLimit:
                    Interlocked.Increment(ref _allowed);
                    Interlocked.Increment(ref _nearLimit);
                    return;
                case RateLimitOutcome.ShadowRejected:
                    Interlocked.Increment(ref _allowed);
                    Interlocked.Increment(ref _shadowRejected);
                    return;
                case RateLimitOutcome.Blocked:
                    Interlocked.Increment(ref _blocked);
                    break;
            }

            Interlocked.Increment(ref _rejected);
            lock (_keysLock)
            {
                CountRefusalLocked(clientKey);
            }
        }

        public void RecordBatch(IReadOnlyList<ResolvedRateLimitCheck> checks, ReadOnlySpan<RateLimitCheckResult> results)
        {
            long allowed = 0, nearLimit = 0, shadowRejected = 0, blocked = 0, rejected = 0, rolledBack = 0;
            foreach (RateLimitCheckResult result in results)
            {
                switch (result.Outcome)
                {
                    case RateLimitOutcome.Allowed:
                        allowed++;
                        break;
                    case RateLimitOutcome.NearLimit:
                        allowed++;
                        nearLimit++;
                        break;
                    case RateLimitOutcome.ShadowRejected:
                        allowed++;
                        shadowRejected++;
                        break;
                    case RateLimitOutcome.Blocked:
                        blocked++;
                        rejected++;
                        break;
                    case RateLimitOutcome.RolledBack:
                        rolledBack++;
                        break;
                    default:
                        rejected++;
                        break;
                }
            }

            AddIfAny(ref _checks, results.Length - rolledBack);
            AddIfAny(ref _allowed, allowed);
            AddIfAny(ref _nearLimit, nearLimit);
            AddIfAny(ref _shadowRejected, shadowRejected);
            AddIfAny(ref _blocked, blocked);
            if (rejected == 0)
            {
                return;
            }

            Interlocked.Add(ref _rejected, rejected);
            lock (_keysLock)
            {
                for (int i = 0; i < results.Length; i++)
                {
                    RateLimitOutcome outcome = results[i].Outcome;
                    if (outcome is RateLimitOutcome.Allowed or RateLimitOutcome.NearLimit or RateLimitOutcome.ShadowRejected or RateLimitOutcome.RolledBack)
                    {
                        continue;
                    }

                    CountRefusalLocked(checks[i].Key!);
                }
            }

            static void AddIfAny(ref long counter, long value)
            {
                if (value != 0)
                {
                    Interlocked.Add(ref counter, value);
                }
            }
        }

        private void CountRefusalLocked(string clientKey)
        {
            if (_rejectedByKey.TryGetValue(clientKey, out long count))
            {
                _rejectedByKey[clientKey] = count + 1;
            }
            else if (_rejectedByKey.Count < MaxKeysPerFlush)
            {
                _rejectedByKey[clientKey] = 1;
            }
        }

        public RateLimitStatsDelta? TakeDelta()
        {
            long checks = Interlocked.Exchange(ref _checks, 0);
            if (checks == 0)
            {
                return null;
            }

            var delta = new RateLimitStatsDelta
            {
                Checks = checks,
                Allowed = Interlocked.Exchange(ref _allowed, 0),
                Rejected = Interlocked.Exchange(ref _rejected, 0),
                NearLimit = Interlocked.Exchange(ref _nearLimit, 0),
                ShadowRejected = Interlocked.Exchange(ref _shadowRejected, 0),
                Blocked = Interlocked.Exchange(ref _blocked, 0),
            };
            lock (_keysLock)
            {
                delta.RejectedByKey = _rejectedByKey;
                _rejectedByKey = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            return delta;
        }
    }
}
