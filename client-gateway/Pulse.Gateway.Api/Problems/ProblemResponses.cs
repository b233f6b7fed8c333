using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Pulse.Gateway.Api.Json;

namespace Pulse.Gateway.Api.Problems;

/// <summary>Writes RFC 9457 problem details (<c>application/problem+json</c>) with a known length.</summary>
public static class ProblemResponses
{
    /// <summary>The problem details media type.</summary>
    public const string ContentType = "application/problem+json";

    /// <summary>Builds the problem document for a status, naming the request path and trace id.</summary>
    public static ApiProblem Create(HttpContext context, int status, string? detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ApiProblem
        {
            Type = TypeFor(status),
            Title = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
            Status = status,
            Detail = detail,
            Instance = context.Request.Path.HasValue ? context.Request.Path.Value : null,
            Errors = errors,
            TraceId = Activity.Current?.Id ?? context.TraceIdentifier,
        };
    }

    /// <summary>Writes a problem response; does nothing when the response has already started.</summary>
    public static Task WriteAsync(HttpContext context, int status, string? detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        WriteAsync(context, Create(context, status, detail, errors));

    /// <summary>Writes <paramref name="problem"/>; does nothing when the response has already started.</summary>
    public static Task WriteAsync(HttpContext context, ApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(problem);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        return JsonResponseBody.WriteAsync(context, problem, GatewayJsonContext.Default.ApiProblem, problem.Status, ContentType);
    }

    /// <summary>The RFC 9110 section of a status code, the problem type of the errors this API reports.</summary>
    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        405 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        406 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.7",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        412 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.13",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        422 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        429 => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        500 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        504 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.5",
        507 => "https://www.rfc-editor.org/rfc/rfc4918#section-11.5",
        _ => "about:blank",
    };
}
