namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// The fields of one check as sent, before validation: what <see cref="RateLimitCheckRequest"/> holds,
/// as a struct, so a thousand-check batch fills one pooled array instead of allocating an object per check.
/// </summary>
/// <param name="Present">False for a missing check (a JSON <c>null</c> in the batch); the default value is missing.</param>
/// <param name="Key">The client key.</param>
/// <param name="Limit">Requests allowed per window (ad-hoc limits).</param>
/// <param name="WindowMs">Window length in milliseconds (ad-hoc limits).</param>
/// <param name="Algorithm">The algorithm's name.</param>
/// <param name="Burst">Most units admitted at once.</param>
/// <param name="Cost">Units this request costs.</param>
/// <param name="Mode"><c>enforce</c> or <c>shadow</c>.</param>
/// <param name="Policy">A server-side policy's name.</param>
public readonly record struct RateLimitCheckFields(
    bool Present,
    string? Key,
    long? Limit,
    long? WindowMs,
    string? Algorithm,
    long? Burst,
    long? Cost,
    string? Mode,
    string? Policy)
{
    /// <summary>The fields of a deserialized request; a null request is a missing check.</summary>
    public static RateLimitCheckFields From(RateLimitCheckRequest? request) =>
        request is null
            ? default
            : new(true, request.Key, request.Limit, request.WindowMs, request.Algorithm, request.Burst, request.Cost, request.Mode, request.Policy);
}
