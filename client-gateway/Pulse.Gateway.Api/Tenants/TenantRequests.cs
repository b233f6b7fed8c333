using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Tenants;

namespace Pulse.Gateway.Api.Tenants;

/// <summary>Validation and mapping of the tenant routes' bodies.</summary>
internal static class TenantRequests
{
    /// <summary>The trimmed name, or an error on <c>name</c>.</summary>
    public static string? ValidateName(string? name, ValidationErrors errors)
    {
        if (name is null)
        {
            errors.Add("name", "is required");
            return null;
        }

        string trimmed = name.Trim();
        if (trimmed.Length is 0 or > TenantLimits.MaxNameLength)
        {
            errors.Add("name", $"must be 1 to {TenantLimits.MaxNameLength} characters (after trimming)");
            return null;
        }

        foreach (char c in trimmed)
        {
            if (char.IsControl(c))
            {
                errors.Add("name", "must not contain control characters");
                return null;
            }
        }

        return trimmed;
    }

    /// <summary>The quota, the default when <paramref name="body"/> is null and defaults are allowed, or errors on <c>requestQuota.*</c>.</summary>
    public static TenantQuota? ValidateQuota(RequestQuotaBody? body, GatewayApiOptions options, bool required, ValidationErrors errors)
    {
        if (body is null)
        {
            if (required)
            {
                errors.Add("requestQuota", "is required");
                return null;
            }

            return new TenantQuota(options.DefaultRequestQuotaLimit, options.DefaultRequestQuotaWindowMs);
        }

        bool valid = true;
        if (body.Limit is not (>= 1 and <= TenantLimits.MaxQuotaLimit))
        {
            errors.Add("requestQuota.limit", body.Limit is null ? "is required" : $"must be from 1 to {TenantLimits.MaxQuotaLimit}");
            valid = false;
        }

        if (body.WindowMs is not (>= 1 and <= TenantLimits.MaxQuotaWindowMs))
        {
            errors.Add("requestQuota.windowMs", body.WindowMs is null ? "is required" : $"must be from 1 to {TenantLimits.MaxQuotaWindowMs} (one day)");
            valid = false;
        }

        return valid ? new TenantQuota(body.Limit!.Value, body.WindowMs!.Value) : null;
    }

    /// <summary>The cache quota when given: 0 or more bytes (0: the default), or an error on <c>cacheQuotaBytes</c>.</summary>
    public static long? ValidateCacheQuota(long? bytes, ValidationErrors errors)
    {
        if (bytes is < 0)
        {
            errors.Add("cacheQuotaBytes", "must be 0 (the configured default) or more bytes");
            return null;
        }

        return bytes;
    }

    public static RequestQuotaResponse ToResponse(TenantQuota quota) => new(quota.Limit, quota.WindowMs);

    public static TenantResponse ToResponse(TenantProfile profile) =>
        new(profile.Id, profile.Name, profile.CreatedAt, profile.Disabled, ToResponse(profile.RequestQuota), profile.ActiveKeys, profile.CacheQuotaBytes);

    public static ApiKeyResponse ToResponse(ApiKeyInfo key, DateTimeOffset now) =>
        new(key.KeyId, key.Prefix, key.CreatedAt, key.RevokedAt, key.RevokedAt is { } revokedAt && revokedAt <= now);

    public static string TenantLocation(string tenantId) => $"/api/v1/admin/tenants/{tenantId}";
}
