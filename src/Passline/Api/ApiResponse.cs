namespace Passline.Api;

/// <summary>The success envelope of the Hypersender-compatible API.</summary>
public sealed record ApiResponse<T>(bool Success, string Message, T Data);
