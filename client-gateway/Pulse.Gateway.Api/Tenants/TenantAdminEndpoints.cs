using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Pagination;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Tenants;

/// <summary>
/// <c>/api/v1/admin/tenants</c>: create, list, read, disable/enable and change tenants. The gateway
/// orchestrates the two grains: the directory reserves the name, then the tenant grain is created (the
/// reservation is undone if that fails).
/// </summary>
internal static class TenantAdminEndpoints
{
    private const int MaxIdAttempts = 3;

    public static void Map(RouteGroupBuilder admin)
    {
        RouteGroupBuilder tenants = admin.MapGroup("/tenants").WithTags("Tenants (admin)");
        tenants.MapPost("/", CreateAsync)
            .WithName("CreateTenant")
            .Accepts<CreateTenantRequest>("application/json")
            .Produces<CreatedTenantResponse>(StatusCodes.Status201Created)
            .WithMetadata(TenantApiRouteExtensions.Problem(400), TenantApiRouteExtensions.Problem(409), TenantApiRouteExtensions.Problem(413), TenantApiRouteExtensions.Problem(415));
        tenants.MapGet("/", ListAsync)
            .WithName("ListTenants")
            .Produces<Page<TenantSummaryResponse>>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400));
        tenants.MapGet("/{id}", GetAsync)
            .WithName("GetTenant")
            .Produces<TenantResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(404));
        tenants.MapPatch("/{id}", UpdateAsync)
            .WithName("UpdateTenant")
            .Accepts<UpdateTenantRequest>("application/json", "application/merge-patch+json")
            .Produces<TenantResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400), TenantApiRouteExtensions.Problem(404), TenantApiRouteExtensions.Problem(415));
        tenants.MapPost("/{id}/disable", (HttpContext context, string id, [FromServices] IGrainFactory grains, [FromServices] ApiKeyCache cache, [FromServices] ILoggerFactory loggers) =>
                SetDisabledAsync(context, id, true, grains, cache, loggers))
            .WithName("DisableTenant")
            .Produces<TenantResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(404));
        tenants.MapPost("/{id}/enable", (HttpContext context, string id, [FromServices] IGrainFactory grains, [FromServices] ApiKeyCache cache, [FromServices] ILoggerFactory loggers) =>
                SetDisabledAsync(context, id, false, grains, cache, loggers))
            .WithName("EnableTenant")
            .Produces<TenantResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(404));
    }

    private static async Task<IResult> CreateAsync(
        HttpContext context, [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayApiOptions> options, [FromServices] TimeProvider time, [FromServices] ILoggerFactory loggers)
    {
        JsonBody<CreateTenantRequest> body = await JsonBodyReader.ReadAsync(context, GatewayJsonContext.Default.CreateTenantRequest);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var errors = new ValidationErrors();
        string? name = TenantRequests.ValidateName(body.Value!.Name, errors);
        TenantQuota? quota = TenantRequests.ValidateQuota(body.Value.RequestQuota, options.Value, required: false, errors);
        long? cacheQuota = TenantRequests.ValidateCacheQuota(body.Value.CacheQuotaBytes, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        ITenantDirectoryGrain directory = grains.GetGrain<ITenantDirectoryGrain>(TenantDirectory.Key);
        string? id = null;
        for (int attempt = 0; attempt < MaxIdAttempts && id is null; attempt++)
        {
            string candidate = ApiKeys.NewTenantId();
            TenantReservation reservation = await directory.ReserveAsync(candidate, name!, time.GetUtcNow()).WaitAsync(context.RequestAborted);
            if (reservation == TenantReservation.NameTaken)
            {
                return ApiResults.Problem(StatusCodes.Status409Conflict, $"A tenant named '{name}' already exists.", new ValidationErrors().Add("name", "is already used by another tenant").ToDictionary());
            }

            if (reservation == TenantReservation.Reserved)
            {
                id = candidate;
            }
        }

        if (id is null)
        {
            throw new InvalidOperationException("Could not find a free tenant id.");
        }

        GeneratedApiKey key = ApiKeys.Create(id);
        TenantResult result;
        try
        {
            result = await grains.GetGrain<ITenantGrain>(id).CreateAsync(name!, quota!, key.ToStored()).WaitAsync(context.RequestAborted);
        }
        catch
        {
            // Without its tenant grain the reservation would hold the name forever.
            await directory.RemoveAsync(id);
            throw;
        }

        TenantProfile profile = result.Tenant ?? throw new InvalidOperationException($"Tenant {id} was not created: {result.Status}.");
        ILogger logger = loggers.CreateLogger(typeof(TenantAdminEndpoints));
        GatewayApiLog.TenantCreated(logger, id, key.KeyId);
        if (cacheQuota is > 0)
        {
            // The tenant grain's create takes no cache quota (0, the default, is what it starts with).
            TenantResult withQuota = await grains.GetGrain<ITenantGrain>(id).SetCacheQuotaAsync(cacheQuota.Value).WaitAsync(context.RequestAborted);
            profile = withQuota.Tenant ?? profile;
            GatewayApiLog.TenantCacheQuotaChanged(logger, id, cacheQuota.Value);
        }

        return ApiResults.Json(
            new CreatedTenantResponse(profile.Id, profile.Name, key.Key, key.KeyId, key.Prefix, profile.CreatedAt, profile.Disabled, TenantRequests.ToResponse(profile.RequestQuota), profile.CacheQuotaBytes),
            GatewayJsonContext.Default.CreatedTenantResponse,
            StatusCodes.Status201Created,
            TenantRequests.TenantLocation(id));
    }

    private static async Task<IResult> ListAsync(HttpContext context, [FromServices] IGrainFactory grains)
    {
        if (!PageRequest.TryRead(context, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        if (!page.TryGetNumber(out long after))
        {
            return PageRequest.InvalidCursor();
        }

        TenantDirectoryPage result = await grains.GetGrain<ITenantDirectoryGrain>(TenantDirectory.Key).ListAsync(after, page.Limit).WaitAsync(context.RequestAborted);
        var items = new List<TenantSummaryResponse>(result.Items.Count);
        foreach (TenantDirectoryEntry entry in result.Items)
        {
            items.Add(new TenantSummaryResponse(entry.Id, entry.Name, entry.CreatedAt, entry.Disabled));
        }

        string? next = result.HasMore && result.Items.Count > 0 ? PageCursor.EncodeNumber(result.Items[^1].Sequence) : null;
        return ApiResults.Json(new Page<TenantSummaryResponse>(items, next), GatewayJsonContext.Default.PageTenantSummaryResponse);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, [FromServices] IGrainFactory grains)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        TenantResult result = await grains.GetGrain<ITenantGrain>(id).GetAsync().WaitAsync(context.RequestAborted);
        return Respond(result, id);
    }

    private static async Task<IResult> UpdateAsync(
        HttpContext context, string id, [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayApiOptions> options, [FromServices] ApiKeyCache cache, [FromServices] ILoggerFactory loggers)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        JsonBody<UpdateTenantRequest> body = await JsonBodyReader.ReadAsync(context, GatewayJsonContext.Default.UpdateTenantRequest);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var errors = new ValidationErrors();
        UpdateTenantRequest request = body.Value!;
        long? cacheQuota = TenantRequests.ValidateCacheQuota(request.CacheQuotaBytes, errors);
        TenantQuota? quota = null;
        if (request.RequestQuota is not null)
        {
            quota = TenantRequests.ValidateQuota(request.RequestQuota, options.Value, required: true, errors);
        }
        else if (request.CacheQuotaBytes is null)
        {
            errors.Add("requestQuota", "is required unless cacheQuotaBytes is given (a PATCH changes at least one of them)");
        }
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        ITenantGrain tenant = grains.GetGrain<ITenantGrain>(id);
        ILogger logger = loggers.CreateLogger(typeof(TenantAdminEndpoints));
        TenantResult? result = null;
        if (quota is not null)
        {
            result = await tenant.SetRequestQuotaAsync(quota).WaitAsync(context.RequestAborted);
            if (result.Status != TenantStatus.Ok)
            {
                return Respond(result, id);
            }

            // The quota travels in the cached TenantContext: drop it so this gateway applies the new one now.
            cache.InvalidateTenant(id);
            GatewayApiLog.TenantQuotaChanged(logger, id, quota.Limit, quota.WindowMs);
        }

        if (cacheQuota is { } cacheQuotaBytes)
        {
            result = await tenant.SetCacheQuotaAsync(cacheQuotaBytes).WaitAsync(context.RequestAborted);
            if (result.Status == TenantStatus.Ok)
            {
                GatewayApiLog.TenantCacheQuotaChanged(logger, id, cacheQuotaBytes);
            }
        }

        return Respond(result!, id);
    }

    private static async Task<IResult> SetDisabledAsync(HttpContext context, string id, bool disabled, [FromServices] IGrainFactory grains, [FromServices] ApiKeyCache cache, [FromServices] ILoggerFactory loggers)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        TenantResult result = await grains.GetGrain<ITenantGrain>(id).SetDisabledAsync(disabled).WaitAsync(context.RequestAborted);
        if (result.Status == TenantStatus.Ok)
        {
            cache.InvalidateTenant(id);
            await grains.GetGrain<ITenantDirectoryGrain>(TenantDirectory.Key).SetDisabledAsync(id, disabled).WaitAsync(context.RequestAborted);
            GatewayApiLog.TenantDisabledChanged(loggers.CreateLogger(typeof(TenantAdminEndpoints)), id, disabled);
        }

        return Respond(result, id);
    }

    private static IResult Respond(TenantResult result, string id) => result is { Status: TenantStatus.Ok, Tenant: { } profile }
        ? ApiResults.Json(TenantRequests.ToResponse(profile), GatewayJsonContext.Default.TenantResponse)
        : TenantNotFound(id);

    public static IResult TenantNotFound(string id) => ApiResults.NotFound($"No tenant with id '{id}'.");
}
