namespace Pulse.Gateway.Api.Tenants;

// The JSON shapes of the tenant routes. Request fields are nullable so a missing field is reported by
// name instead of silently becoming 0.

/// <summary>A request quota in a request body: both fields required.</summary>
public sealed class RequestQuotaBody
{
    /// <summary>Requests allowed per window, 1 to 1,000,000,000.</summary>
    public long? Limit { get; set; }

    /// <summary>Window length in milliseconds, 1 to 86,400,000.</summary>
    public long? WindowMs { get; set; }
}

/// <summary>Body of <c>POST /api/v1/admin/tenants</c>.</summary>
public sealed class CreateTenantRequest
{
    /// <summary>Unique name, 1 to 100 characters after trimming.</summary>
    public string? Name { get; set; }

    /// <summary>Request quota; the configured default when absent.</summary>
    public RequestQuotaBody? RequestQuota { get; set; }

    /// <summary>Cache memory quota in bytes, 0 or more; absent or 0 for the silos' configured default.</summary>
    public long? CacheQuotaBytes { get; set; }
}

/// <summary>Body of <c>PATCH /api/v1/admin/tenants/{id}</c>: the fields to change, at least one.</summary>
public sealed class UpdateTenantRequest
{
    /// <summary>The new request quota.</summary>
    public RequestQuotaBody? RequestQuota { get; set; }

    /// <summary>The new cache memory quota in bytes; 0 for the silos' configured default.</summary>
    public long? CacheQuotaBytes { get; set; }
}

/// <summary>Optional body of <c>POST /api/v1/admin/tenants/{id}/keys/{keyId}/rotate</c>.</summary>
public sealed class RotateKeyRequest
{
    /// <summary>Seconds the old key keeps working after the rotation; 0 (default) revokes it at once.</summary>
    public long? GracePeriodSeconds { get; set; }
}

/// <summary>A request quota in a response.</summary>
/// <param name="Limit">Requests allowed per window.</param>
/// <param name="WindowMs">Window length in milliseconds.</param>
public sealed record RequestQuotaResponse(long Limit, long WindowMs);

/// <summary>A tenant.</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Name">The name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Disabled">Whether its keys are refused.</param>
/// <param name="RequestQuota">Its request quota.</param>
/// <param name="ActiveKeys">How many of its keys work.</param>
/// <param name="CacheQuotaBytes">Its cache memory quota in bytes; 0 means the silos' configured default.</param>
public sealed record TenantResponse(string Id, string Name, DateTimeOffset CreatedAt, bool Disabled, RequestQuotaResponse RequestQuota, int ActiveKeys, long CacheQuotaBytes);

/// <summary>A new tenant with its first API key, shown this once.</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Name">The name.</param>
/// <param name="ApiKey">The API key: store it now, it is never shown again.</param>
/// <param name="KeyId">The key's id.</param>
/// <param name="KeyPrefix">The key's non-secret start.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Disabled">Always false.</param>
/// <param name="RequestQuota">Its request quota.</param>
/// <param name="CacheQuotaBytes">Its cache memory quota in bytes; 0 means the silos' configured default.</param>
public sealed record CreatedTenantResponse(string Id, string Name, string ApiKey, string KeyId, string KeyPrefix, DateTimeOffset CreatedAt, bool Disabled, RequestQuotaResponse RequestQuota, long CacheQuotaBytes);

/// <summary>A tenant in the tenant list.</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Name">The name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Disabled">Whether it is disabled.</param>
public sealed record TenantSummaryResponse(string Id, string Name, DateTimeOffset CreatedAt, bool Disabled);

/// <summary>An API key's metadata; never the key or its hash.</summary>
/// <param name="Id">The key id.</param>
/// <param name="Prefix">The non-secret start of the key.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was (or, in a rotation grace period, will be) revoked; null while active.</param>
/// <param name="Revoked">Whether it no longer works.</param>
public sealed record ApiKeyResponse(string Id, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool Revoked);

/// <summary>A new API key, shown this once.</summary>
/// <param name="Id">The key id.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="Prefix">The non-secret start of the key.</param>
/// <param name="ApiKey">The API key: store it now, it is never shown again.</param>
/// <param name="ReplacedKeyId">After a rotation, the key it replaced.</param>
/// <param name="ReplacedKeyValidUntil">After a rotation, when the replaced key stops working.</param>
public sealed record CreatedApiKeyResponse(string Id, string TenantId, string Prefix, string ApiKey, string? ReplacedKeyId, DateTimeOffset? ReplacedKeyValidUntil);

/// <summary>The tenant a key authenticates as (<c>GET /api/v1/tenant</c>).</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Name">The name.</param>
/// <param name="KeyId">The key used.</param>
/// <param name="RequestQuota">The request quota.</param>
public sealed record AuthenticatedTenantResponse(string Id, string Name, string KeyId, RequestQuotaResponse RequestQuota);
