using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>Reads <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
internal static class BearerToken
{
    /// <summary>Longest token looked at; anything longer is no key of ours.</summary>
    private const int MaxLength = 512;

    /// <summary>The token as a string.</summary>
    public static bool TryRead(HttpRequest request, out string token)
    {
        bool found = TryRead(request, out ReadOnlySpan<char> span);
        token = found ? span.ToString() : string.Empty;
        return found;
    }

    /// <summary>The token as a slice of the header value: reading it allocates nothing.</summary>
    public static bool TryRead(HttpRequest request, out ReadOnlySpan<char> token)
    {
        token = default;
        string? header = request.Headers[HeaderNames.Authorization];
        if (string.IsNullOrEmpty(header) || header.Length > MaxLength + 7 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        token = header.AsSpan(7).Trim();
        return token.Length > 0;
    }
}
