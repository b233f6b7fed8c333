using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// Validated keys of this gateway process, keyed by the key's SHA-256 (never the clear key), trusted
/// for <see cref="GatewayApiOptions.KeyCacheTtl"/> so a hot tenant does not cost a grain call per
/// request. Revoking, rotating or disabling through this gateway evicts at once; other gateways notice
/// within the TTL. Only successes are cached.
/// </summary>
public sealed class ApiKeyCache
{
    private readonly ConcurrentDictionary<KeyHash, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly int _maxEntries;

    /// <summary>Creates the cache.</summary>
    public ApiKeyCache(IOptions<GatewayApiOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _ttl = options.Value.KeyCacheTtl;
        _maxEntries = options.Value.KeyCacheMaxEntries;
    }

    /// <summary>Number of cached keys.</summary>
    public int Count => _entries.Count;

    /// <summary>The tenant of a cached, unexpired key.</summary>
    public bool TryGet(ReadOnlySpan<byte> sha256, out TenantContext tenant)
    {
        KeyHash key = KeyHash.From(sha256);
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            if (_time.GetUtcNow() < entry.ExpiresAt)
            {
                tenant = entry.Tenant;
                return true;
            }

            _entries.TryRemove(new KeyValuePair<KeyHash, Entry>(key, entry));
        }

        tenant = null!;
        return false;
    }

    /// <summary>Caches a validated key until the TTL passes or <paramref name="validUntil"/>, whichever is first.</summary>
    public void Add(ReadOnlySpan<byte> sha256, TenantContext tenant, DateTimeOffset? validUntil)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (_ttl <= TimeSpan.Zero)
        {
            return;
        }

        DateTimeOffset expiresAt = _time.GetUtcNow() + _ttl;
        if (validUntil is { } until && until < expiresAt)
        {
            expiresAt = until;
        }

        if (_entries.Count >= _maxEntries)
        {
            RemoveExpired();
            if (_entries.Count >= _maxEntries)
            {
                // Still full of live entries: start over rather than grow without bound.
                _entries.Clear();
            }
        }

        _entries[KeyHash.From(sha256)] = new Entry(tenant, expiresAt);
    }

    /// <summary>Forgets one key of a tenant (revoked or rotated).</summary>
    public void InvalidateKey(string tenantId, string keyId)
    {
        foreach (KeyValuePair<KeyHash, Entry> pair in _entries)
        {
            if (pair.Value.Tenant.TenantId == tenantId && pair.Value.Tenant.KeyId == keyId)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    /// <summary>Forgets every key of a tenant (disabled, enabled, quota changed).</summary>
    public void InvalidateTenant(string tenantId)
    {
        foreach (KeyValuePair<KeyHash, Entry> pair in _entries)
        {
            if (pair.Value.Tenant.TenantId == tenantId)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private void RemoveExpired()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (KeyValuePair<KeyHash, Entry> pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private sealed record Entry(TenantContext Tenant, DateTimeOffset ExpiresAt);

    /// <summary>A SHA-256 as four words: a dictionary key without allocating a string per lookup.</summary>
    private readonly record struct KeyHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static KeyHash From(ReadOnlySpan<byte> sha256)
        {
            if (sha256.Length != 32)
            {
                throw new ArgumentException("A SHA-256 hash has 32 bytes.", nameof(sha256));
            }

            ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(sha256);
            return new KeyHash(words[0], words[1], words[2], words[3]);
        }
    }
}
