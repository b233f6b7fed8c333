using Microsoft.AspNetCore.Http;

namespace Pulse.Gateway.Api.Problems;

/// <summary>
/// Collects invalid fields of a request and turns them into one 400 problem: an <c>errors</c> map
/// <c>{ "field": ["message"] }</c> and a <c>detail</c> that names the fields. Field names are the JSON
/// names, dotted for nested objects (<c>requestQuota.limit</c>).
/// </summary>
/// <example>
/// <code>
/// var errors = new ValidationErrors();
/// if (body.Limit is null or &lt; 1) errors.Add("limit", "must be at least 1");
/// if (errors.HasErrors) return errors.ToResult();
/// </code>
/// </example>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>Whether any field is invalid.</summary>
    public bool HasErrors => _errors.Count > 0;

    /// <summary>How many fields are invalid.</summary>
    public int Count => _errors.Count;

    /// <summary>Records that <paramref name="field"/> is invalid; <paramref name="message"/> says why (e.g. "must be 1 to 100 characters").</summary>
    public ValidationErrors Add(string field, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentException.ThrowIfNullOrEmpty(message);
        if (!_errors.TryGetValue(field, out List<string>? messages))
        {
            messages = [];
            _errors.Add(field, messages);
        }

        messages.Add(message);
        return this;
    }

    /// <summary>The errors map.</summary>
    public IReadOnlyDictionary<string, string[]> ToDictionary()
    {
        var map = new Dictionary<string, string[]>(_errors.Count, StringComparer.Ordinal);
        foreach ((string field, List<string> messages) in _errors)
        {
            map.Add(field, [.. messages]);
        }

        return map;
    }

    /// <summary>The detail line: the first field and its first message, and how many other fields are invalid.</summary>
    public string Detail()
    {
        string? first = null;
        string? message = null;
        foreach ((string field, List<string> messages) in _errors)
        {
            first = field;
            message = messages[0];
            break;
        }

        if (first is null)
        {
            return "The request is invalid.";
        }

        return _errors.Count == 1
            ? $"Invalid field '{first}': {message}."
            : $"Invalid field '{first}': {message}; {_errors.Count - 1} more invalid field(s): {string.Join(", ", _errors.Keys.Skip(1))}.";
    }

    /// <summary>The 400 problem result.</summary>
    public IResult ToResult() => ApiResults.Problem(StatusCodes.Status400BadRequest, Detail(), ToDictionary());
}
