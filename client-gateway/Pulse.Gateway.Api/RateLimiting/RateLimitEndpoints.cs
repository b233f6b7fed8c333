using System.Buffers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Pagination;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>The <c>/api/v1/ratelimit</c> routes: checks, batches, policies, blocks, reset/drain and statistics.</summary>
internal static partial class RateLimitEndpoints
{
    /// <summary>Longest block reason.</summary>
    public const int MaxReasonLength = 256;

    // The check message last resolved on this thread: a tenant's single checks mostly repeat one limit, and
    // the message is immutable, so the next one asking for the same limit, cost and mode shares it.
    [ThreadStatic]
    private static RateLimitCheck? t_lastSingleCheck;

    public static void Map(RouteGroupBuilder rateLimit)
    {
        // The two hot routes take their singletons here rather than from the request's services each time.
        (RateLimitRequestResolver resolver, RateLimitService service, TimeProvider time) = HotPathServices(rateLimit);
        rateLimit.MapPost("/check", Handler(context => CheckAsync(context, resolver, service, time))).WithName("CheckRateLimit").WithTags("Rate limiting").Produces<RateLimitCheckResponse>();
        rateLimit.MapPost("/check-batch", Handler(context => CheckBatchAsync(context, resolver, service))).WithName("CheckRateLimitBatch").WithTags("Rate limiting").Produces<RateLimitBatchResponse>();
        rateLimit.MapPut("/policies/{name}", PutPolicyAsync).WithName("PutRateLimitPolicy").WithTags("Rate limiting").Produces<RateLimitPolicyResponse>();
        rateLimit.MapGet("/policies/{name}", GetPolicyAsync).WithName("GetRateLimitPolicy").WithTags("Rate limiting").Produces<RateLimitPolicyResponse>();
        rateLimit.MapDelete("/policies/{name}", DeletePolicyAsync).WithName("DeleteRateLimitPolicy").WithTags("Rate limiting");
        rateLimit.MapGet("/policies", ListPoliciesAsync).WithName("ListRateLimitPolicies").WithTags("Rate limiting").Produces<Page<RateLimitPolicyResponse>>();
        rateLimit.MapPost("/blocks", AddBlockAsync).WithName("AddRateLimitBlock").WithTags("Rate limiting").Produces<RateLimitBlockResponse>(StatusCodes.Status201Created);
        rateLimit.MapGet("/blocks", ListBlocksAsync).WithName("ListRateLimitBlocks").WithTags("Rate limiting").Produces<Page<RateLimitBlockResponse>>();
        rateLimit.MapDelete("/blocks/{**key}", RemoveBlockAsync).WithName("RemoveRateLimitBlock").WithTags("Rate limiting");
        rateLimit.MapPost("/reset", ResetAsync).WithName("ResetRateLimitKey").WithTags("Rate limiting");
        rateLimit.MapPost("/drain", DrainAsync).WithName("DrainRateLimitKey").WithTags("Rate limiting");
        rateLimit.MapGet("/stats", GetStatsAsync).WithName("GetRateLimitStats").WithTags("Rate limiting").Produces<RateLimitStatsResponse>();
    }

    /// <summary>The salesmate-compatible route, <c>POST /api/performance/rate-limit/check</c>.</summary>
    public static void MapLegacy(RouteGroupBuilder performance)
    {
        (_, RateLimitService service, TimeProvider time) = HotPathServices(performance);
        performance.MapPost("/rate-limit/check", Handler(context => LegacyCheckAsync(context, service, time))).WithName("LegacyRateLimitCheck").WithTags("Compatibility").Produces<LegacyRateLimitCheckResponse>();
    }

    // As a Delegate, so the route handler writes the IResult it returns (a RequestDelegate would drop it).
    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    private static (RateLimitRequestResolver Resolver, RateLimitService Service, TimeProvider Time) HotPathServices(IEndpointRouteBuilder endpoints) =>
        (endpoints.ServiceProvider.GetRequiredService<RateLimitRequestResolver>(),
         endpoints.ServiceProvider.GetRequiredService<RateLimitService>(),
         endpoints.ServiceProvider.GetRequiredService<TimeProvider>());

    private static async Task<IResult> CheckAsync(HttpContext context, RateLimitRequestResolver resolver, RateLimitService service, TimeProvider time)
    {
        JsonBody<RateLimitCheckRequest> body = await JsonBodyReader.ReadAsync(context, RateLimitJsonContext.Default.RateLimitCheckRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        string tenantId = context.GetTenant().TenantId;
        ResolvedRateLimitCheck resolved = await resolver.ResolveAsync(tenantId, RateLimitCheckFields.From(body.Value), previous: t_lastSingleCheck).ConfigureAwait(false);
        if (resolved.Error is { } error)
        {
            return ToProblem(error);
        }

        t_lastSingleCheck = resolved.Check;

        RateLimitCheck check = resolved.Check!;
        RateLimitCheckResult result = await service.CheckAsync(tenantId, resolved.Key!, check).ConfigureAwait(false);
        RateLimitHeaders.Write(context.Response, resolved.PolicyName ?? RateLimitRequestResolver.AdHocPolicyName, check.Rule, result.Decision, time.GetUtcNow());
        return ApiResults.Json(ToResponse(result), RateLimitJsonContext.Default.RateLimitCheckResponse);
    }

    private static async Task<IResult> CheckBatchAsync(HttpContext context, RateLimitRequestResolver resolver, RateLimitService service)
    {
        JsonBody<RateLimitBatchBody> body = await JsonBodyReader.ReadAsync(context, RateLimitBatchBody.Parse).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        using RateLimitBatchBody batch = body.Value!;
        int count = batch.Count;
        if (count == 0)
        {
            return ApiResults.InvalidField("checks", "must hold at least one check");
        }

        if (count > RateLimitOptions.MaxBatchChecks)
        {
            return ApiResults.InvalidField("checks", $"must hold at most {RateLimitOptions.MaxBatchChecks} checks; got {count}");
        }

        string tenantId = context.GetTenant().TenantId;

        // Both arrays come from the pool: a thousand-check batch needs about 96 KB of them (32 and 64 bytes
        // an entry), and a batch in flight when a collection starts would carry them into the older generations.
        ResolvedRateLimitCheck[] resolved = ArrayPool<ResolvedRateLimitCheck>.Shared.Rent(count);
        RateLimitCheckResult[]? results = null;
        try
        {
            RateLimitCheck? previous = null;
            for (int i = 0; i < count; i++)
            {
                resolved[i] = await resolver.ResolveAsync(tenantId, batch.Checks[i], i, previous).ConfigureAwait(false);
                if (resolved[i].Error is { } error)
                {
                    return ToProblem(error);
                }

                previous = resolved[i].Check;
            }

            results = RateLimitBatchResult.RentResults(count);
            await service.CheckBatchAsync(tenantId, new ArraySegment<ResolvedRateLimitCheck>(resolved, 0, count), results, batch.AllOrNothing).ConfigureAwait(false);
            IResult answer = RateLimitBatchResult.Create(results, count);
            results = null;
            return answer;
        }
        finally
        {
            // Cleared: the entries hold the batch's keys and checks, which the pool should not keep alive.
            ArrayPool<ResolvedRateLimitCheck>.Shared.Return(resolved, clearArray: true);
            if (results is not null)
            {
                RateLimitBatchResult.ReturnResults(results);
            }
        }
    }

    private static async Task<IResult> PutPolicyAsync(HttpContext context, string name, IGrainFactory grains, RateLimitPolicyCache cache, TimeProvider time)
    {
        if (ValidatePolicyName(name) is { } nameProblem)
        {
            return nameProblem;
        }

        JsonBody<RateLimitPolicyRequest> body = await JsonBodyReader.ReadAsync(context, RateLimitJsonContext.Default.RateLimitPolicyRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        RateLimitPolicyRequest request = body.Value!;
        if (ToRule(request, out IResult? ruleProblem) is not { } rule)
        {
            return ruleProblem!;
        }

        if (!RateLimitRequestResolver.TryParseMode(request.Mode, out bool shadow))
        {
            return ApiResults.InvalidField("mode", $"must be 'enforce' or 'shadow'; got '{request.Mode}'");
        }

        string tenantId = context.GetTenant().TenantId;
        var policy = new RateLimitPolicy(name, rule, shadow, time.GetUtcNow().ToUnixTimeMilliseconds());
        bool created;
        try
        {
            created = await grains.GetGrain<IRateLimitPolicyGrain>(tenantId).PutPolicyAsync(policy).ConfigureAwait(false);
        }
        catch (InvalidOperationException exception)
        {
            return ApiResults.Conflict(exception.Message);
        }

        cache.Invalidate(tenantId);
        return ApiResults.Json(
            ToResponse(policy),
            RateLimitJsonContext.Default.RateLimitPolicyResponse,
            created ? StatusCodes.Status201Created : StatusCodes.Status200OK,
            created ? $"/api/v1/ratelimit/policies/{Uri.EscapeDataString(name)}" : null);
    }

    private static async Task<IResult> GetPolicyAsync(HttpContext context, string name, IGrainFactory grains)
    {
        RateLimitPolicySet set = await grains.GetGrain<IRateLimitPolicyGrain>(context.GetTenant().TenantId).GetPoliciesAsync().ConfigureAwait(false);
        RateLimitPolicy? policy = Array.Find(set.Policies, p => p.Name == name);
        return policy is null
            ? ApiResults.NotFound($"No policy named '{name}'.")
            : ApiResults.Json(ToResponse(policy), RateLimitJsonContext.Default.RateLimitPolicyResponse);
    }

    private static async Task<IResult> DeletePolicyAsync(HttpContext context, string name, IGrainFactory grains, RateLimitPolicyCache cache)
    {
        string tenantId = context.GetTenant().TenantId;
        bool deleted = await grains.GetGrain<IRateLimitPolicyGrain>(tenantId).DeletePolicyAsync(name).ConfigureAwait(false);
        cache.Invalidate(tenantId);
        return deleted ? Results.NoContent() : ApiResults.NotFound($"No policy named '{name}'.");
    }

    private static async Task<IResult> ListPoliciesAsync(HttpContext context, IGrainFactory grains)
    {
        if (!PageRequest.TryRead(context, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        RateLimitPolicySet set = await grains.GetGrain<IRateLimitPolicyGrain>(context.GetTenant().TenantId).GetPoliciesAsync().ConfigureAwait(false);
        Page<RateLimitPolicyResponse> result = PageByName(set.Policies, p => p.Name, page, ToResponse);
        return ApiResults.Json(result, RateLimitJsonContext.Default.PageRateLimitPolicyResponse);
    }

    private static async Task<IResult> AddBlockAsync(HttpContext context, IGrainFactory grains, TimeProvider time)
    {
        JsonBody<RateLimitBlockRequest> body = await JsonBodyReader.ReadAsync(context, RateLimitJsonContext.Default.RateLimitBlockRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        RateLimitBlockRequest request = body.Value!;
        var errors = new ValidationErrors();
        if (RateLimitRequestResolver.ValidateKey(request.Key, "key") is { } keyError)
        {
            errors.Add(keyError.Field, keyError.Message.TrimEnd('.'));
        }

        if (request.DurationMs is not { } duration || duration < 1 || duration > RateLimitRuleValidator.MaxDurationMs)
        {
            errors.Add("durationMs", $"is required: 1 to {RateLimitRuleValidator.MaxDurationMs} milliseconds (one year)");
        }

        if (request.Reason is { Length: > MaxReasonLength })
        {
            errors.Add("reason", $"must be at most {MaxReasonLength} characters");
        }

        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        long until = time.GetUtcNow().ToUnixTimeMilliseconds() + request.DurationMs!.Value;
        RateLimitBlock block = await grains.GetGrain<IRateLimitPolicyGrain>(context.GetTenant().TenantId)
            .AddBlockAsync(request.Key!, until, string.IsNullOrWhiteSpace(request.Reason) ? "blocked" : request.Reason.Trim())
            .ConfigureAwait(false);
        return ApiResults.Json(ToResponse(block), RateLimitJsonContext.Default.RateLimitBlockResponse, StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListBlocksAsync(HttpContext context, IGrainFactory grains)
    {
        if (!PageRequest.TryRead(context, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        RateLimitBlock[] blocks = await grains.GetGrain<IRateLimitPolicyGrain>(context.GetTenant().TenantId).GetBlocksAsync().ConfigureAwait(false);
        return ApiResults.Json(PageByName(blocks, b => b.Key, page, ToResponse), RateLimitJsonContext.Default.PageRateLimitBlockResponse);
    }

    private static async Task<IResult> RemoveBlockAsync(HttpContext context, string key, IGrainFactory grains)
    {
        if (RateLimitRequestResolver.ValidateKey(key, "key") is { } keyError)
        {
            return ApiResults.InvalidField(keyError.Field, keyError.Message.TrimEnd('.'));
        }

        bool removed = await grains.GetGrain<IRateLimitPolicyGrain>(context.GetTenant().TenantId).RemoveBlockAsync(key).ConfigureAwait(false);
        return removed ? Results.NoContent() : ApiResults.NotFound($"Key '{key}' is not blocked.");
    }

    private static async Task<IResult> ResetAsync(HttpContext context, IGrainFactory grains, RateLimitPolicyCache policies) =>
        await ResetOrDrainAsync(context, grains, policies, drain: false).ConfigureAwait(false);

    private static async Task<IResult> DrainAsync(HttpContext context, IGrainFactory grains, RateLimitPolicyCache policies) =>
        await ResetOrDrainAsync(context, grains, policies, drain: true).ConfigureAwait(false);

    private static async Task<IResult> ResetOrDrainAsync(HttpContext context, IGrainFactory grains, RateLimitPolicyCache policies, bool drain)
    {
        JsonBody<RateLimitKeyRequest> body = await JsonBodyReader.ReadAsync(context, RateLimitJsonContext.Default.RateLimitKeyRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        RateLimitKeyRequest request = body.Value!;
        if (RateLimitRequestResolver.ValidateKey(request.Key, "key") is { } keyError)
        {
            return ApiResults.InvalidField(keyError.Field, keyError.Message.TrimEnd('.'));
        }

        string tenantId = context.GetTenant().TenantId;
        string? window = null;
        RateLimitRule? rule = null;
        if (request.Policy is not null)
        {
            if (request.Algorithm is not null || request.Limit is not null || request.WindowMs is not null || request.Burst is not null)
            {
                return ApiResults.InvalidField("policy", "name either a policy or an ad-hoc algorithm and limit, not both");
            }

            RateLimitPolicy? policy = await policies.FindAsync(tenantId, request.Policy).ConfigureAwait(false);
            if (policy is null)
            {
                return ApiResults.NotFound($"No policy named '{request.Policy}'.");
            }

            window = RateLimiterKeys.PolicyWindow(policy.Name);
            rule = policy.Rule;
        }
        else if (request.Algorithm is not null || drain)
        {
            RateLimitAlgorithm algorithm = RateLimitAlgorithm.Gcra;
            if (request.Algorithm is not null && !RateLimitRuleValidator.TryParseAlgorithm(request.Algorithm, out algorithm))
            {
                return ApiResults.InvalidField("algorithm", $"unknown algorithm '{request.Algorithm}'");
            }

            window = RateLimiterKeys.AdHocWindow(algorithm);
            if (drain)
            {
                rule = new RateLimitRule(algorithm, request.Limit ?? 0, request.WindowMs ?? 0, request.Burst ?? 0);
                if (!RateLimitRuleValidator.TryValidate(rule, 0, out string? field, out string? message))
                {
                    return ApiResults.InvalidField(field ?? "limit", (message ?? "is invalid").TrimEnd('.'));
                }
            }
        }

        IRateLimiterGrain limiter = grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(tenantId, request.Key!));
        if (drain)
        {
            await limiter.DrainAsync(window!, rule!).ConfigureAwait(false);
        }
        else
        {
            await limiter.ResetAsync(window).ConfigureAwait(false);
        }

        return Results.NoContent();
    }

    private static async Task<IResult> GetStatsAsync(HttpContext context, IGrainFactory grains, RateLimitStatsCollector collector)
    {
        string tenantId = context.GetTenant().TenantId;
        await collector.FlushAsync(tenantId).ConfigureAwait(false);
        RateLimitStats stats = await grains.GetGrain<IRateLimitStatsGrain>(tenantId).GetAsync().ConfigureAwait(false);
        var response = new RateLimitStatsResponse
        {
            Checks = stats.Checks,
            Allowed = stats.Allowed,
            Rejected = stats.Rejected,
            NearLimit = stats.NearLimit,
            ShadowRejected = stats.ShadowRejected,
            Blocked = stats.Blocked,
            TopLimitedKeys = stats.TopLimitedKeys.Select(k => new RateLimitKeyCountResponse { Key = k.Key, Rejected = k.Rejected }).ToList(),
            Since = stats.SinceUnixMs == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(stats.SinceUnixMs),
        };
        return ApiResults.Json(response, RateLimitJsonContext.Default.RateLimitStatsResponse);
    }

    private static async Task<IResult> LegacyCheckAsync(HttpContext context, RateLimitService service, TimeProvider time)
    {
        JsonBody<LegacyRateLimitCheckRequest> body = await JsonBodyReader.ReadAsync(context, RateLimitJsonContext.Default.LegacyRateLimitCheckRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        LegacyRateLimitCheckRequest request = body.Value!;
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(request.ClientId))
        {
            errors.Add("clientId", "is required");
        }

        string key = $"{request.ClientId}:{request.Endpoint ?? "*"}";
        if (RateLimitRequestResolver.ValidateKey(key, "clientId") is { } keyError && !errors.HasErrors)
        {
            errors.Add("clientId", "clientId and endpoint together must be at most 511 bytes of UTF-8");
        }

        var rule = new RateLimitRule(RateLimitAlgorithm.FixedWindow, request.Limit ?? 100, request.WindowMs ?? 60_000);
        if (!RateLimitRuleValidator.TryValidate(rule, 1, out string? field, out string? message))
        {
            errors.Add(field ?? "limit", (message ?? "is invalid").TrimEnd('.'));
        }

        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        var check = new RateLimitCheck(RateLimiterKeys.AdHocWindow(RateLimitAlgorithm.FixedWindow), rule, 1);
        RateLimitCheckResult result = await service.CheckAsync(context.GetTenant().TenantId, key, check).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        RateLimitHeaders.Write(context.Response, RateLimitRequestResolver.AdHocPolicyName, rule, result.Decision, now);
        long resetMs = result.Decision.ResetAfterMs > 0 ? result.Decision.ResetAfterMs : rule.WindowMs - (now.ToUnixTimeMilliseconds() % rule.WindowMs);
        return ApiResults.Json(
            new LegacyRateLimitCheckResponse
            {
                Allowed = result.Decision.Allowed,
                Limit = result.Decision.Limit,
                Remaining = result.Decision.Remaining,
                ResetAt = now.AddMilliseconds(resetMs),
            },
            RateLimitJsonContext.Default.LegacyRateLimitCheckResponse);
    }

    private static RateLimitRule? ToRule(RateLimitPolicyRequest request, out IResult? problem)
    {
        problem = null;
        RateLimitAlgorithm algorithm = RateLimitAlgorithm.Gcra;
        if (request.Algorithm is not null && !RateLimitRuleValidator.TryParseAlgorithm(request.Algorithm, out algorithm))
        {
            problem = ApiResults.InvalidField("algorithm", $"unknown algorithm '{request.Algorithm}'; use gcra, token_bucket, leaky_bucket, sliding_window or fixed_window");
            return null;
        }

        CalendarUnit calendar = CalendarUnit.None;
        if (request.Calendar is not null && !RateLimitRuleValidator.TryParseCalendar(request.Calendar, out calendar))
        {
            problem = ApiResults.InvalidField("calendar", $"unknown calendar window '{request.Calendar}'; use minute, hour, day, week or month");
            return null;
        }

        if (request.Limit is null)
        {
            problem = ApiResults.InvalidField("limit", "is required");
            return null;
        }

        if (request.WindowMs is null && calendar == CalendarUnit.None)
        {
            problem = ApiResults.InvalidField("windowMs", "is required unless a calendar window is set");
            return null;
        }

        PenaltyRule? penalty = null;
        if (request.Penalty is { } body)
        {
            penalty = new PenaltyRule(body.Rejections ?? 0, body.WithinMs ?? 0, body.BlockMs ?? 0, body.MaxBlockMs ?? 86_400_000);
        }

        var rule = new RateLimitRule(algorithm, request.Limit.Value, request.WindowMs ?? 0, request.Burst ?? 0, calendar, request.TimeZone, penalty);
        if (!RateLimitRuleValidator.TryValidate(rule, 1, out string? field, out string? message))
        {
            problem = ApiResults.InvalidField(field ?? "limit", (message ?? "is invalid").TrimEnd('.'));
            return null;
        }

        return rule;
    }

    private static IResult? ValidatePolicyName(string name) =>
        PolicyNamePattern().IsMatch(name)
            ? null
            : ApiResults.InvalidField("name", "must be 1 to 128 characters of letters, digits, '-', '_', '.' and ':'");

    private static Page<TOut> PageByName<TIn, TOut>(IReadOnlyList<TIn> sorted, Func<TIn, string> name, PageRequest page, Func<TIn, TOut> map)
    {
        string? after = null;
        if (page.Cursor is not null)
        {
            PageCursor.TryDecode(page.Cursor, out string position);
            after = position;
        }

        var items = new List<TOut>(Math.Min(page.Limit, sorted.Count));
        string? last = null;
        bool more = false;
        foreach (TIn item in sorted)
        {
            string itemName = name(item);
            if (after is not null && string.CompareOrdinal(itemName, after) <= 0)
            {
                continue;
            }

            if (items.Count == page.Limit)
            {
                more = true;
                break;
            }

            items.Add(map(item));
            last = itemName;
        }

        return new Page<TOut>(items, more && last is not null ? PageCursor.Encode(last) : null);
    }

    private static IResult ToProblem(RateLimitInputError error) =>
        error.Status == StatusCodes.Status404NotFound
            ? ApiResults.NotFound(error.Message)
            : ApiResults.InvalidField(error.Field, error.Message.TrimEnd('.'));

    private static RateLimitCheckResponse ToResponse(RateLimitCheckResult result) => RateLimitBatchResult.ToResponse(result);

    private static RateLimitPolicyResponse ToResponse(RateLimitPolicy policy) => new()
    {
        Name = policy.Name,
        Algorithm = RateLimitRuleValidator.ToWireName(policy.Rule.Algorithm),
        Limit = policy.Rule.Limit,
        WindowMs = policy.Rule.WindowMs,
        Burst = policy.Rule.EffectiveBurst,
        Calendar = RateLimitRuleValidator.ToWireName(policy.Rule.Calendar),
        TimeZone = policy.Rule.TimeZone,
        Mode = policy.Shadow ? "shadow" : "enforce",
        Penalty = policy.Rule.Penalty is { } p
            ? new RateLimitPenaltyBody { Rejections = p.Rejections, WithinMs = p.WithinMs, BlockMs = p.BlockMs, MaxBlockMs = p.MaxBlockMs }
            : null,
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(policy.UpdatedUnixMs),
    };

    private static RateLimitBlockResponse ToResponse(RateLimitBlock block) => new()
    {
        Key = block.Key,
        Until = DateTimeOffset.FromUnixTimeMilliseconds(block.UntilUnixMs),
        Reason = block.Reason,
        Penalty = block.Penalty,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(block.CreatedUnixMs),
    };

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex PolicyNamePattern();
}
