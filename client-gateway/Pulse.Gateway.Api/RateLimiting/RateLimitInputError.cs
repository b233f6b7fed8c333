using Microsoft.AspNetCore.Http;
namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>Why a rate-limit request was refused before reaching a grain.</summary>
/// <param name="Field">The JSON field at fault (for example <c>checks[3].limit</c>).</param>
/// <param name="Message">What is wrong with it.</param>
/// <param name="Status">400 for invalid input, 404 for an unknown policy.</param>
public sealed record RateLimitInputError(string Field, string Message, int Status = StatusCodes.Status400BadRequest);
