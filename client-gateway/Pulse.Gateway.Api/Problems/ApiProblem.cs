using System.Text.Json.Serialization;

namespace Pulse.Gateway.Api.Problems;

/// <summary>An RFC 9457 problem details document, the body of every error response.</summary>
public sealed class ApiProblem
{
    /// <summary>A URI naming the problem type.</summary>
    public string Type { get; init; } = "about:blank";

    /// <summary>Short summary of the problem type (the HTTP reason phrase).</summary>
    public string Title { get; init; } = string.Empty;

    /// <summary>The HTTP status code.</summary>
    public int Status { get; init; }

    /// <summary>What went wrong in this request, naming the field when a field is at fault.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }

    /// <summary>The request path.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Instance { get; init; }

    /// <summary>Invalid fields and what is wrong with each: <c>{ "field": ["message"] }</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>The request's trace id, to find it in the logs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }
}
