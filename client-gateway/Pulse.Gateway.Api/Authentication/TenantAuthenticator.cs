using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// Turns a bearer token into a <see cref="TenantContext"/>: parse, hash, look in the cache, else ask the
/// tenant grain named in the key. Refusals are results (401/403 problems), not exceptions.
/// </summary>
internal sealed class TenantAuthenticator(IGrainFactory grains, ApiKeyCache cache, AdminKeyVerifier admin, ILogger<TenantAuthenticator> logger)
{
    public async ValueTask<(TenantContext? Tenant, IResult? Problem)> AuthenticateAsync(HttpContext context)
    {
        if (TryAuthenticateCached(context.Request, out TenantContext? known))
        {
            return (known, null);
        }

        if (!BearerToken.TryRead(context.Request, out string token))
        {
            GatewayApiLog.CredentialsRefused(logger, context.Request.Path.Value ?? "/", "no bearer token");
            return (null, ApiResults.Unauthorized("An API key is required: send 'Authorization: Bearer <api key>'.", bearerError: null));
        }

        if (!ApiKeys.TryParse(token, out string tenantId, out string keyId))
        {
            if (admin.IsAdminKey(token))
            {
                return (null, ApiResults.Forbidden("The admin key is not a tenant: tenant routes need a tenant's API key."));
            }

            GatewayApiLog.CredentialsRefused(logger, context.Request.Path.Value ?? "/", "not an API key");
            return (null, ApiResults.Unauthorized("The API key is invalid."));
        }

        byte[] hash = ApiKeys.Hash(token);
        if (cache.TryGet(hash, out TenantContext cached))
        {
            return (cached, null);
        }

        ApiKeyValidation validation = await grains.GetGrain<ITenantGrain>(tenantId)
            .ValidateKeyAsync(keyId, hash)
            .WaitAsync(context.RequestAborted)
            .ConfigureAwait(false);
        if (validation is { Result: ApiKeyCheck.Valid, Tenant: { } profile })
        {
            var tenant = new TenantContext(profile.Id, profile.Name, profile.RequestQuota, keyId);
            cache.Add(hash, tenant, validation.ValidUntil);
            return (tenant, null);
        }

        string prefix = $"{ApiKeys.KeyPrefix}{tenantId}_{keyId}";
        GatewayApiLog.KeyRefused(logger, prefix, validation.Result.ToString());
        return (null, ApiResults.Unauthorized(validation.Result switch
        {
            ApiKeyCheck.Revoked => "The API key was revoked.",
            ApiKeyCheck.TenantDisabled => "The tenant of this API key is disabled.",
            _ => "The API key is invalid.",
        }));
    }

    // Nearly every request carries a key validated moments ago: that case reads the token from the header
    // and hashes it on the stack, allocating nothing. Anything else takes the full path above.
    private bool TryAuthenticateCached(HttpRequest request, [NotNullWhen(true)] out TenantContext? tenant)
    {
        tenant = null;
        if (!BearerToken.TryRead(request, out ReadOnlySpan<char> token) || !ApiKeys.IsWellFormed(token))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        ApiKeys.HashRecent(token, hash);
        if (!cache.TryGet(hash, out TenantContext cached))
        {
            return false;
        }

        tenant = cached;
        return true;
    }
}
