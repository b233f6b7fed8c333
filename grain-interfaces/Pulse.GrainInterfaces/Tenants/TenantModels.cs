using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.Tenants;

/// <summary>
/// A tenant's request quota: at most <paramref name="Limit"/> gateway requests per <paramref name="WindowMs"/>
/// milliseconds. Stored with the tenant; enforced by the gateway's quota hook.
/// </summary>
[GenerateSerializer]
public sealed record TenantQuota(
    [property: Id(0)] long Limit,
    [property: Id(1)] long WindowMs);

/// <summary>
/// A new API key as the tenant grain stores it: never the key itself, only its SHA-256. The gateway
/// generates the key, shows it once and sends this record.
/// </summary>
/// <param name="KeyId">The key's id (part of the key, unique within the tenant).</param>
/// <param name="Prefix">The non-secret start of the key (<c>pk_&lt;tenant&gt;_&lt;key&gt;</c>), for operators to recognise it.</param>
/// <param name="Sha256">SHA-256 of the whole key's UTF-8 bytes.</param>
[GenerateSerializer]
public sealed record NewApiKey(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Prefix,
    [property: Id(2)] byte[] Sha256);

/// <summary>What may be shown about a key: metadata only, never the hash.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="Prefix">The non-secret start of the key.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked (or, after a rotation with a grace period, when it stops working); null while active.</param>
[GenerateSerializer]
public sealed record ApiKeyInfo(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Prefix,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? RevokedAt);

/// <summary>A tenant's profile.</summary>
/// <param name="Id">The tenant id (the grain key).</param>
/// <param name="Name">The display name, unique across tenants.</param>
/// <param name="CreatedAt">When the tenant was created.</param>
/// <param name="Disabled">Whether its keys are refused.</param>
/// <param name="RequestQuota">Its request quota.</param>
/// <param name="ActiveKeys">How many keys currently work.</param>
/// <param name="CacheQuotaBytes">Its cache memory quota in bytes; 0 means the silo's configured default.</param>
[GenerateSerializer]
public sealed record TenantProfile(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] bool Disabled,
    [property: Id(4)] TenantQuota RequestQuota,
    [property: Id(5)] int ActiveKeys,
    [property: Id(6)] long CacheQuotaBytes = 0);

/// <summary>Outcome of a tenant operation; expected failures are values, not exceptions.</summary>
public enum TenantStatus
{
    /// <summary>Done.</summary>
    Ok = 0,

    /// <summary>No tenant with this id exists.</summary>
    NotFound = 1,

    /// <summary>The tenant (or a key with this id) already exists.</summary>
    AlreadyExists = 2,

    /// <summary>The tenant has no key with this id.</summary>
    KeyNotFound = 3,

    /// <summary>The key is already revoked.</summary>
    KeyRevoked = 4,
}

/// <summary>Outcome of a tenant operation and the profile after it (null when the tenant does not exist).</summary>
[GenerateSerializer]
public sealed record TenantResult(
    [property: Id(0)] TenantStatus Status,
    [property: Id(1)] TenantProfile? Tenant);

/// <summary>Why an API key was accepted or refused.</summary>
public enum ApiKeyCheck
{
    /// <summary>The key works.</summary>
    Valid = 0,

    /// <summary>No such tenant.</summary>
    UnknownTenant = 1,

    /// <summary>No such key, or the secret does not match.</summary>
    UnknownKey = 2,

    /// <summary>The key was revoked (or its rotation grace period ended).</summary>
    Revoked = 3,

    /// <summary>The tenant is disabled.</summary>
    TenantDisabled = 4,
}

/// <summary>The answer to a key check.</summary>
/// <param name="Result">Accepted or why not.</param>
/// <param name="Tenant">The tenant when <see cref="ApiKeyCheck.Valid"/>.</param>
/// <param name="ValidUntil">When a key in its rotation grace period stops working; null for no end.</param>
[GenerateSerializer]
public sealed record ApiKeyValidation(
    [property: Id(0)] ApiKeyCheck Result,
    [property: Id(1)] TenantProfile? Tenant,
    [property: Id(2)] DateTimeOffset? ValidUntil);

/// <summary>One row of the tenant directory.</summary>
/// <param name="Sequence">Position in creation order (1, 2, ...); the pagination cursor.</param>
/// <param name="Id">The tenant id.</param>
/// <param name="Name">The unique name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Disabled">Whether it is disabled.</param>
[GenerateSerializer]
public sealed record TenantDirectoryEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] string Id,
    [property: Id(2)] string Name,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] bool Disabled);

/// <summary>One page of the tenant directory.</summary>
/// <param name="Items">Entries in creation order.</param>
/// <param name="HasMore">Whether entries follow the last one.</param>
[GenerateSerializer]
public sealed record TenantDirectoryPage(
    [property: Id(0)] List<TenantDirectoryEntry> Items,
    [property: Id(1)] bool HasMore);

/// <summary>Outcome of reserving a tenant name and id in the directory.</summary>
public enum TenantReservation
{
    /// <summary>Reserved.</summary>
    Reserved = 0,

    /// <summary>Another tenant has this name (compared trimmed, case-insensitively).</summary>
    NameTaken = 1,

    /// <summary>Another tenant has this id.</summary>
    IdTaken = 2,
}
