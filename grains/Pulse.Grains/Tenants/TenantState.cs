namespace Pulse.Grains.Tenants;

/// <summary>Persistent state of <see cref="TenantGrain"/>. Holds key hashes only, never a key.</summary>
public sealed class TenantState
{
    /// <summary>Whether the tenant was created (a grain with no record reads a fresh, non-existing state).</summary>
    public bool Exists { get; set; }

    /// <summary>The display name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>When the tenant was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Whether its keys are refused.</summary>
    public bool Disabled { get; set; }

    /// <summary>Request quota: requests per window.</summary>
    public long QuotaLimit { get; set; }

    /// <summary>Request quota window in milliseconds.</summary>
    public long QuotaWindowMs { get; set; }

    /// <summary>Cache memory quota in bytes; 0 for the configured default.</summary>
    public long CacheQuotaBytes { get; set; }

    /// <summary>Every key ever issued, revoked ones included so operators can see them.</summary>
    public List<StoredApiKey> Keys { get; set; } = [];
}

/// <summary>One key as stored: its id, display prefix and SHA-256.</summary>
public sealed class StoredApiKey
{
    /// <summary>The key id.</summary>
    public string KeyId { get; set; } = string.Empty;

    /// <summary>The non-secret start of the key.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>SHA-256 of the whole key.</summary>
    public byte[] Sha256 { get; set; } = [];

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it stopped (or, within a rotation grace period, stops) working; null while active.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Whether the key works at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is not { } revokedAt || revokedAt > now;
}
