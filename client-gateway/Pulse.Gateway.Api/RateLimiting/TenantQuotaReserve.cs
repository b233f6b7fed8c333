using Pulse.GrainInterfaces.RateLimiting;
using Pulse.GrainInterfaces.Tenants;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// One gateway's reserve of a tenant's request quota: units taken from the tenant's quota grain ahead of
/// the requests that use them, so a busy tenant costs the grain one call per lease instead of one per
/// request (the grain is a single activation that every request of the tenant on every gateway would
/// otherwise queue on).
/// </summary>
/// <remarks>
/// <para>
/// The lease adapts to the tenant's pace: it starts at one unit (a grain call per request, exact) and
/// grows towards what the gateway uses in <see cref="LeaseTarget"/>, at most doubling per lease and never
/// beyond <see cref="MaxLeaseFraction"/> of the quota. When the grain refuses a lease the lease drops to
/// one unit, so near the limit every request is decided by the grain and the 429 carries its timing.
/// </para>
/// <para>
/// The units were counted when taken, so a gateway can admit at most one lease beyond the quota in a
/// window and can leave at most one lease unused; unused units lapse after
/// <see cref="MaxLapse"/> or one window, whichever is shorter.
/// </para>
/// </remarks>
internal sealed class TenantQuotaReserve
{
    /// <summary>The pace a lease is sized for: what the gateway uses in this long.</summary>
    public static readonly TimeSpan LeaseTarget = TimeSpan.FromMilliseconds(20);

    /// <summary>The largest lease, as a share of the quota's limit.</summary>
    public const double MaxLeaseFraction = 0.01;

    /// <summary>How long unused units stay usable at most.</summary>
    public static readonly TimeSpan MaxLapse = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly IRateLimiterGrain _limiter;
    private readonly TimeProvider _time;
    private readonly long _leaseTargetTicks;
    private readonly long _lapseTicks;
    private long _units;
    private long _lapsesAt;
    private long _leaseSize = 1;
    private long _grantedAt;
    private long _singleAllowedAt;
    private Task? _leasing;

    public TenantQuotaReserve(TenantQuota quota, IRateLimiterGrain limiter, TimeProvider time)
    {
        Quota = quota;
        _limiter = limiter;
        _time = time;
        _leaseTargetTicks = (long)(LeaseTarget.TotalSeconds * time.TimestampFrequency);

        // The first request admitted singly must not look like the second of a quick pair.
        _singleAllowedAt = time.GetTimestamp() - _leaseTargetTicks - 1;
        Rule = new RateLimitRule(RateLimitAlgorithm.Gcra, quota.Limit, quota.WindowMs);
        Single = new RateLimitCheck("quota", Rule, 1);
        MaxLease = Math.Max(1, (long)(quota.Limit * MaxLeaseFraction));
        TimeSpan lapse = TimeSpan.FromMilliseconds(Math.Min(quota.WindowMs, MaxLapse.TotalMilliseconds));
        _lapseTicks = (long)(lapse.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>The quota this reserve was made for; a changed quota gets a new reserve.</summary>
    public TenantQuota Quota { get; }

    /// <summary>The quota as a limiter rule (GCRA, burst = limit).</summary>
    public RateLimitRule Rule { get; }

    /// <summary>A check of one unit: how a request is decided when the reserve has none.</summary>
    public RateLimitCheck Single { get; }

    /// <summary>The largest lease this quota allows; 1 means every request asks the grain.</summary>
    public long MaxLease { get; }

    /// <summary>Units a lease takes now; 1 means requests are decided one by one.</summary>
    public long LeaseSize
    {
        get
        {
            lock (_lock)
            {
                return _leaseSize;
            }
        }
    }

    /// <summary>Units on hand now (for tests and diagnostics).</summary>
    public long Units
    {
        get
        {
            lock (_lock)
            {
                return _units;
            }
        }
    }

    /// <summary>
    /// Admits one request: from the reserve when it holds a unit; otherwise by a lease whose first unit
    /// is this request's (when the tenant is busy enough for leases and no lease is being taken), and
    /// otherwise, or when the lease is refused, by a check of one unit. A request that finds a lease
    /// being taken waits for it first.
    /// </summary>
    /// <returns>Null when the request was admitted from the reserve; otherwise the grain's decision.</returns>
    public async ValueTask<RateLimitCheckResult?> AdmitAsync()
    {
        if (TryTake())
        {
            return null;
        }

        Task? leasing;
        TaskCompletionSource? lease = null;
        long size = 0;
        lock (_lock)
        {
            leasing = _leasing;
            if (leasing is null && _leaseSize > 1)
            {
                size = _leaseSize;
                lease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _leasing = lease.Task;
            }
        }

        if (leasing is not null)
        {
            await leasing.ConfigureAwait(false);
            if (TryTake())
            {
                return null;
            }
        }
        else if (lease is not null)
        {
            RateLimitCheckResult leased;
            try
            {
                leased = await _limiter.CheckAsync(new RateLimitCheck("quota", Rule, size)).ConfigureAwait(false);
            }
            catch
            {
                EndLease(lease, size, allowed: false);
                throw;
            }

            EndLease(lease, size, leased.Decision.Allowed);
            if (leased.Decision.Allowed)
            {
                return leased;
            }
        }

        RateLimitCheckResult single = await _limiter.CheckAsync(Single).ConfigureAwait(false);
        if (single.Decision.Allowed && MaxLease > 1)
        {
            OnSingleAllowed();
        }

        return single;
    }

    private bool TryTake()
    {
        lock (_lock)
        {
            if (_units > 0 && _time.GetTimestamp() < _lapsesAt)
            {
                _units--;
                return true;
            }

            return false;
        }
    }

    // The lease's first unit went to the request that took it; the rest wait in the reserve.
    private void EndLease(TaskCompletionSource lease, long size, bool allowed)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (allowed)
            {
                if (now >= _lapsesAt)
                {
                    _units = 0;
                }

                _units += size - 1;
                _lapsesAt = now + _lapseTicks;
                _leaseSize = NextLeaseSize(size, now - _grantedAt);
                _grantedAt = now;
            }
            else
            {
                // Near the limit (or the grain failed): let the grain decide each request again.
                _leaseSize = 1;
            }

            _leasing = null;
        }

        lease.SetResult();
    }

    // Two requests admitted one by one within the lease target: the tenant is busy enough for leases.
    private void OnSingleAllowed()
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_leaseSize == 1 && now - _singleAllowedAt < _leaseTargetTicks)
            {
                _leaseSize = Math.Min(2, MaxLease);
                _grantedAt = now;
            }

            _singleAllowedAt = now;
        }
    }

    // The last lease lasted `elapsed`: size the next for LeaseTarget at that pace, growing at most twofold.
    private long NextLeaseSize(long size, long elapsed)
    {
        double paced = elapsed <= 0 ? 2.0 * size : (double)size * _leaseTargetTicks / elapsed;
        return Math.Clamp((long)Math.Min(paced, 2.0 * size), 1, MaxLease);
    }
}
