using System.Collections.Concurrent;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// The gateway's copy of each tenant's policies, so a check naming a policy costs one grain call, not
/// two. A change made through this gateway is seen at once; one made through another gateway within
/// <see cref="RateLimitOptions.PolicyCacheTtl"/>.
/// </summary>
public sealed class RateLimitPolicyCache(IGrainFactory grains, TimeProvider timeProvider, Microsoft.Extensions.Options.IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = options.Value.PolicyCacheTtl;

    /// <summary>The tenant's policy named <paramref name="name"/>, or null.</summary>
    public async ValueTask<RateLimitPolicy?> FindAsync(string tenantId, string name)
    {
        long now = timeProvider.GetTimestamp();
        if (!_entries.TryGetValue(tenantId, out Entry? entry) || timeProvider.GetElapsedTime(entry.LoadedAt, now) > _ttl)
        {
            RateLimitPolicySet set = await grains.GetGrain<IRateLimitPolicyGrain>(tenantId).GetPoliciesAsync().ConfigureAwait(false);
            entry = new Entry(now, set.Policies.ToDictionary(p => p.Name, StringComparer.Ordinal));
            _entries[tenantId] = entry;
        }

        return entry.Policies.GetValueOrDefault(name);
    }

    /// <summary>Forgets a tenant's policies after this gateway changed them.</summary>
    public void Invalidate(string tenantId) => _entries.TryRemove(tenantId, out _);

    private sealed record Entry(long LoadedAt, Dictionary<string, RateLimitPolicy> Policies);
}
