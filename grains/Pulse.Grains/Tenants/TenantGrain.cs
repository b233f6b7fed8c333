using System.Security.Cryptography;
using Pulse.GrainInterfaces.Caching;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.Tenants;

/// <summary>
/// A tenant: profile, request quota and hashed API keys. Every change is written before it is
/// answered, so a revoked key stays revoked when the grain moves or the silo restarts.
/// </summary>
public sealed class TenantGrain([PersistentState("tenant")] IPersistentState<TenantState> state) : Grain, ITenantGrain
{
    /// <summary>Most keys (active or revoked) a tenant keeps; the oldest revoked ones are dropped beyond it.</summary>
    public const int MaxStoredKeys = 100;

    private TenantState State => state.State;

    /// <inheritdoc />
    public async Task<TenantResult> CreateAsync(string name, TenantQuota requestQuota, NewApiKey firstKey)
    {
        ArgumentNullException.ThrowIfNull(requestQuota);
        ArgumentNullException.ThrowIfNull(firstKey);
        if (State.Exists)
        {
            return new TenantResult(TenantStatus.AlreadyExists, Profile());
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        State.Exists = true;
        State.Name = name;
        State.CreatedAt = now;
        State.Disabled = false;
        State.QuotaLimit = requestQuota.Limit;
        State.QuotaWindowMs = requestQuota.WindowMs;
        State.Keys = [Store(firstKey, now)];
        await state.WriteStateAsync();
        return Ok();
    }

    /// <inheritdoc />
    public Task<TenantResult> GetAsync() => Task.FromResult(State.Exists ? Ok() : NotFound());

    /// <inheritdoc />
    public async Task<TenantResult> SetDisabledAsync(bool disabled)
    {
        if (!State.Exists)
        {
            return NotFound();
        }

        if (State.Disabled != disabled)
        {
            State.Disabled = disabled;
            await state.WriteStateAsync();
        }

        return Ok();
    }

    /// <inheritdoc />
    public async Task<TenantResult> SetRequestQuotaAsync(TenantQuota requestQuota)
    {
        ArgumentNullException.ThrowIfNull(requestQuota);
        if (!State.Exists)
        {
            return NotFound();
        }

        State.QuotaLimit = requestQuota.Limit;
        State.QuotaWindowMs = requestQuota.WindowMs;
        await state.WriteStateAsync();
        return Ok();
    }

    /// <inheritdoc />
    public async Task<TenantResult> SetCacheQuotaAsync(long cacheQuotaBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheQuotaBytes);
        if (!State.Exists)
        {
            return NotFound();
        }

        State.CacheQuotaBytes = cacheQuotaBytes;
        await state.WriteStateAsync();

        // Not awaited: the cache index reads this grain's profile when it activates, so awaiting it from
        // inside this turn could wait on ourselves. The index also re-reads the quota on activation.
        _ = GrainFactory.GetGrain<ITenantCacheGrain>(GetPrimaryKeyString()).SetQuotaAsync(cacheQuotaBytes);
        return Ok();
    }

    /// <inheritdoc />
    public async Task<TenantResult> AddKeyAsync(NewApiKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!State.Exists)
        {
            return NotFound();
        }

        if (Find(key.KeyId) is not null)
        {
            return new TenantResult(TenantStatus.AlreadyExists, Profile());
        }

        State.Keys.Add(Store(key, TimeProvider.GetUtcNow()));
        Prune();
        await state.WriteStateAsync();
        return Ok();
    }

    /// <inheritdoc />
    public async Task<TenantResult> RotateKeyAsync(string keyId, NewApiKey replacement, TimeSpan gracePeriod)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (!State.Exists)
        {
            return NotFound();
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        StoredApiKey? old = Find(keyId);
        if (old is null)
        {
            return new TenantResult(TenantStatus.KeyNotFound, Profile());
        }

        if (!old.IsActiveAt(now))
        {
            return new TenantResult(TenantStatus.KeyRevoked, Profile());
        }

        if (Find(replacement.KeyId) is not null)
        {
            return new TenantResult(TenantStatus.AlreadyExists, Profile());
        }

        // A grace period lets the tenant deploy the new key before the old one stops working.
        old.RevokedAt = gracePeriod > TimeSpan.Zero ? now + gracePeriod : now;
        State.Keys.Add(Store(replacement, now));
        Prune();
        await state.WriteStateAsync();
        return Ok();
    }

    /// <inheritdoc />
    public async Task<TenantResult> RevokeKeyAsync(string keyId)
    {
        if (!State.Exists)
        {
            return NotFound();
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        StoredApiKey? key = Find(keyId);
        if (key is null)
        {
            return new TenantResult(TenantStatus.KeyNotFound, Profile());
        }

        // Revoking a key that is still in its rotation grace period ends the grace period now.
        if (key.RevokedAt is { } revokedAt && revokedAt <= now)
        {
            return new TenantResult(TenantStatus.KeyRevoked, Profile());
        }

        key.RevokedAt = now;
        await state.WriteStateAsync();
        return Ok();
    }

    /// <inheritdoc />
    public Task<List<ApiKeyInfo>?> ListKeysAsync()
    {
        if (!State.Exists)
        {
            return Task.FromResult<List<ApiKeyInfo>?>(null);
        }

        var keys = new List<ApiKeyInfo>(State.Keys.Count);
        foreach (StoredApiKey key in State.Keys)
        {
            keys.Add(new ApiKeyInfo(key.KeyId, key.Prefix, key.CreatedAt, key.RevokedAt));
        }

        return Task.FromResult<List<ApiKeyInfo>?>(keys);
    }

    /// <inheritdoc />
    public Task<ApiKeyValidation> ValidateKeyAsync(string keyId, byte[] sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        if (!State.Exists)
        {
            return Task.FromResult(new ApiKeyValidation(ApiKeyCheck.UnknownTenant, null, null));
        }

        StoredApiKey? key = Find(keyId);

        // Constant-time comparison: the time taken must not tell how many leading bytes matched.
        if (key is null || !CryptographicOperations.FixedTimeEquals(key.Sha256, sha256))
        {
            return Task.FromResult(new ApiKeyValidation(ApiKeyCheck.UnknownKey, null, null));
        }

        if (!key.IsActiveAt(TimeProvider.GetUtcNow()))
        {
            return Task.FromResult(new ApiKeyValidation(ApiKeyCheck.Revoked, null, null));
        }

        return Task.FromResult(State.Disabled
            ? new ApiKeyValidation(ApiKeyCheck.TenantDisabled, null, null)
            : new ApiKeyValidation(ApiKeyCheck.Valid, Profile(), key.RevokedAt));
    }

    private static StoredApiKey Store(NewApiKey key, DateTimeOffset now) => new()
    {
        KeyId = key.KeyId,
        Prefix = key.Prefix,
        Sha256 = key.Sha256,
        CreatedAt = now,
    };

    private StoredApiKey? Find(string keyId)
    {
        foreach (StoredApiKey key in State.Keys)
        {
            if (string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
            {
                return key;
            }
        }

        return null;
    }

    /// <summary>Keeps the state bounded: drops the oldest revoked keys beyond <see cref="MaxStoredKeys"/>.</summary>
    private void Prune()
    {
        DateTimeOffset now = TimeProvider.GetUtcNow();
        for (int i = 0; i < State.Keys.Count && State.Keys.Count > MaxStoredKeys;)
        {
            if (State.Keys[i].IsActiveAt(now))
            {
                i++;
            }
            else
            {
                State.Keys.RemoveAt(i);
            }
        }
    }

    private TenantProfile Profile()
    {
        DateTimeOffset now = TimeProvider.GetUtcNow();
        int active = 0;
        foreach (StoredApiKey key in State.Keys)
        {
            if (key.IsActiveAt(now))
            {
                active++;
            }
        }

        return new TenantProfile(GetPrimaryKeyString(), State.Name, State.CreatedAt, State.Disabled, new TenantQuota(State.QuotaLimit, State.QuotaWindowMs), active, State.CacheQuotaBytes);
    }

    private TenantResult Ok() => new(TenantStatus.Ok, Profile());

    private static TenantResult NotFound() => new(TenantStatus.NotFound, null);
}
