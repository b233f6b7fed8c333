using Microsoft.AspNetCore.Http;
using System.Text;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Grains.RateLimiting;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// Turns a check request into the grain message: validates every field, names the first bad one, and
/// replaces a policy name by the tenant's policy.
/// </summary>
public sealed class RateLimitRequestResolver(RateLimitPolicyCache policies)
{
    /// <summary>Longest client key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 512;

    /// <summary>Window name reported in the RateLimit fields of ad-hoc checks.</summary>
    public const string AdHocPolicyName = "adhoc";

    /// <summary>Resolves one check.</summary>
    /// <param name="tenantId">The calling tenant.</param>
    /// <param name="request">The check as sent.</param>
    /// <param name="batchIndex">The check's index in a batch, named in errors (<c>checks[2].limit</c>); -1 for a single check.</param>
    /// <param name="previous">
    /// A check resolved just before (in the same batch, or on the same thread). When this one asks for the same
    /// limit, cost and mode it is returned as is: batches and callers usually repeat one limit, and the grain
    /// message is immutable. A policy's check is reused only while the policy cache holds the same rule.
    /// </param>
    /// <remarks>
    /// Not an async method: only a policy needs the (cached) policy lookup, and an ad-hoc check, nearly every
    /// check of a batch, then costs no state machine and no copy of <paramref name="request"/>.
    /// </remarks>
    public ValueTask<ResolvedRateLimitCheck> ResolveAsync(string tenantId, in RateLimitCheckFields request, int batchIndex = -1, RateLimitCheck? previous = null)
    {
        if (!request.Present)
        {
            return new(Fail(batchIndex < 0 ? "body" : $"checks[{batchIndex}]", "A check object is required."));
        }

        if (ValidateKey(request.Key, "key") is { } keyError)
        {
            return new(new ResolvedRateLimitCheck(null, null, null, batchIndex < 0 ? keyError : keyError with { Field = Field(batchIndex, "key") }));
        }

        if (!TryParseMode(request.Mode, out bool shadow))
        {
            return new(Fail(Field(batchIndex, "mode"), $"Unknown mode '{request.Mode}'; use 'enforce' or 'shadow'."));
        }

        long cost = request.Cost ?? 1;
        if (request.Policy is not null)
        {
            if (request.Limit is not null || request.WindowMs is not null || request.Algorithm is not null || request.Burst is not null)
            {
                return new(Fail(Field(batchIndex, "policy"), "A check names either a policy or its own limit, windowMs, algorithm and burst, not both."));
            }

            return ResolvePolicyAsync(tenantId, request.Key!, request.Policy, cost, shadow, batchIndex, previous);
        }

        return new(ResolveAdHoc(request, cost, shadow, batchIndex, previous));
    }

    private async ValueTask<ResolvedRateLimitCheck> ResolvePolicyAsync(string tenantId, string key, string policyName, long cost, bool shadow, int batchIndex, RateLimitCheck? previous)
    {
        RateLimitPolicy? policy = await policies.FindAsync(tenantId, policyName).ConfigureAwait(false);
        if (policy is null)
        {
            return new ResolvedRateLimitCheck(null, null, null, new RateLimitInputError(Field(batchIndex, "policy"), $"No policy named '{policyName}'.", StatusCodes.Status404NotFound));
        }

        // The policy cache hands out the same rule object until the policy changes.
        if (previous is not null && ReferenceEquals(previous.Rule, policy.Rule) && previous.Cost == cost && previous.Shadow == (shadow || policy.Shadow)
            && RateLimiterKeys.IsPolicyWindow(previous.Window, policy.Name))
        {
            return new ResolvedRateLimitCheck(key, previous, policy.Name, null);
        }

        if (!RateLimitRuleValidator.TryValidate(policy.Rule, cost, out string? policyField, out string? policyError))
        {
            // The policy itself is valid; only the cost can be out of its range.
            return Fail(Field(batchIndex, policyField ?? "cost"), policyError ?? "Invalid cost for this policy.");
        }

        var policyCheck = new RateLimitCheck(RateLimiterKeys.PolicyWindow(policy.Name), policy.Rule, cost, shadow || policy.Shadow);
        return new ResolvedRateLimitCheck(key, policyCheck, policy.Name, null);
    }

    private static ResolvedRateLimitCheck ResolveAdHoc(in RateLimitCheckFields request, long cost, bool shadow, int batchIndex, RateLimitCheck? previous)
    {
        RateLimitAlgorithm algorithm = RateLimitAlgorithm.Gcra;
        if (request.Algorithm is not null && !RateLimitRuleValidator.TryParseAlgorithm(request.Algorithm, out algorithm))
        {
            return Fail(Field(batchIndex, "algorithm"), $"Unknown algorithm '{request.Algorithm}'; use gcra, token_bucket, leaky_bucket, sliding_window or fixed_window.");
        }

        if (request.Limit is not { } limit)
        {
            return Fail(Field(batchIndex, "limit"), "limit is required (or name a policy).");
        }

        if (request.WindowMs is not { } windowMs)
        {
            return Fail(Field(batchIndex, "windowMs"), "windowMs is required (or name a policy).");
        }

        long burst = request.Burst ?? 0;
        if (previous is { Rule: { Calendar: CalendarUnit.None, Penalty: null } previousRule }
            && previousRule.Algorithm == algorithm && previousRule.Limit == limit && previousRule.WindowMs == windowMs && previousRule.Burst == burst
            && previous.Cost == cost && previous.Shadow == shadow && previous.Window == RateLimiterKeys.AdHocWindow(algorithm))
        {
            // Same ad-hoc limit as the check before: already validated with this cost.
            return new ResolvedRateLimitCheck(request.Key, previous, null, null);
        }

        var rule = new RateLimitRule(algorithm, limit, windowMs, burst);
        if (!RateLimitRuleValidator.TryValidate(rule, cost, out string? field, out string? error))
        {
            return Fail(Field(batchIndex, field ?? "limit"), error ?? "Invalid limit.");
        }

        return new ResolvedRateLimitCheck(request.Key, new RateLimitCheck(RateLimiterKeys.AdHocWindow(algorithm), rule, cost, shadow), null, null);
    }

    /// <summary>Reads a <c>mode</c> field: absent or <c>enforce</c>, or <c>shadow</c>.</summary>
    public static bool TryParseMode(string? mode, out bool shadow)
    {
        shadow = mode == "shadow";
        return mode is null or "enforce" or "shadow";
    }

    /// <summary>Checks a client key: present, 1..512 UTF-8 bytes.</summary>
    public static RateLimitInputError? ValidateKey(string? key, string field)
    {
        if (string.IsNullOrEmpty(key))
        {
            return new RateLimitInputError(field, "key is required and must not be empty.");
        }

        // Cheap bound first: a UTF-8 byte count is at least the char count and at most three times it.
        if (key.Length > MaxKeyBytes || (key.Length * 3 > MaxKeyBytes && Encoding.UTF8.GetByteCount(key) > MaxKeyBytes))
        {
            return new RateLimitInputError(field, $"key must be at most {MaxKeyBytes} bytes of UTF-8.");
        }

        return null;
    }

    // Built only for an error: a batch of valid checks formats no field names.
    private static string Field(int batchIndex, string name) => batchIndex < 0 ? name : $"checks[{batchIndex}].{name}";

    private static ResolvedRateLimitCheck Fail(string field, string message) =>
        new(null, null, null, new RateLimitInputError(field, message));
}

/// <summary>A resolved check, or why it could not be resolved.</summary>
/// <param name="Key">The client key.</param>
/// <param name="Check">The grain message.</param>
/// <param name="PolicyName">The named policy, or null for an ad-hoc limit.</param>
/// <param name="Error">Set when the request is invalid.</param>
public readonly record struct ResolvedRateLimitCheck(string? Key, RateLimitCheck? Check, string? PolicyName, RateLimitInputError? Error);
