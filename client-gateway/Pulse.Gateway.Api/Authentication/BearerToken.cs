using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>Reads <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
internal static class BearerToken
{
    /// <summary>Longest token looked at; anything longer is no key of ours.</summary>
    private const int MaxLength = 512;

    public static bool TryRead(HttpRequest request, out string token)
    {
        token = string.Empty;
        string? header = request.Headers[HeaderNames.Authorization];
        if (string.IsNullOrEmpty(header) || header.Length > MaxLength + 7 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        token = header[7..].Trim();
        return token.Length > 0;
    }
}
