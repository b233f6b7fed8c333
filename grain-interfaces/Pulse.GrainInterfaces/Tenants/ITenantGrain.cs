using Pulse.Runtime;

namespace Pulse.GrainInterfaces.Tenants;

/// <summary>
/// One tenant (key: the tenant id): profile, request quota, and its API keys as SHA-256 hashes. The
/// gateway creates keys and sends only their hashes, so a clear key never reaches a grain or storage.
/// </summary>
[GrainType("pulse.tenant")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant with its first key; <see cref="TenantStatus.AlreadyExists"/> when it exists.</summary>
    Task<TenantResult> CreateAsync(string name, TenantQuota requestQuota, NewApiKey firstKey);

    /// <summary>The profile; <see cref="TenantStatus.NotFound"/> when the tenant does not exist.</summary>
    [ReadOnly]
    Task<TenantResult> GetAsync();

    /// <summary>Disables or enables the tenant: a disabled tenant's keys are refused.</summary>
    Task<TenantResult> SetDisabledAsync(bool disabled);

    /// <summary>Replaces the request quota.</summary>
    Task<TenantResult> SetRequestQuotaAsync(TenantQuota requestQuota);

    /// <summary>Replaces the cache memory quota (bytes; 0 for the configured default) and tells the tenant's cache index.</summary>
    Task<TenantResult> SetCacheQuotaAsync(long cacheQuotaBytes);

    /// <summary>Adds a key.</summary>
    Task<TenantResult> AddKeyAsync(NewApiKey key);

    /// <summary>
    /// Adds <paramref name="replacement"/> and revokes <paramref name="keyId"/>: at once when
    /// <paramref name="gracePeriod"/> is zero, else when the grace period ends.
    /// </summary>
    Task<TenantResult> RotateKeyAsync(string keyId, NewApiKey replacement, TimeSpan gracePeriod);

    /// <summary>Revokes a key at once.</summary>
    Task<TenantResult> RevokeKeyAsync(string keyId);

    /// <summary>Metadata of every key, in creation order; null when the tenant does not exist.</summary>
    [ReadOnly]
    Task<List<ApiKeyInfo>?> ListKeysAsync();

    /// <summary>Checks a presented key by its id and SHA-256 (compared in constant time).</summary>
    [ReadOnly]
    Task<ApiKeyValidation> ValidateKeyAsync(string keyId, byte[] sha256);
}
