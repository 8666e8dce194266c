package sessions

import "strings"

// maxDeviceLen bounds the stored device name.
const maxDeviceLen = 80

// DeviceName turns a User-Agent into a short name a person recognises in a
// list of their sessions, such as "Chrome on Android". It is a display aid,
// not a security signal: User-Agents are chosen by the client.
func DeviceName(ua string) string {
	ua = strings.ToLower(ua)
	if ua == "" {
		return "Unknown device"
	}

	browser := "Browser"
	switch {
	case strings.Contains(ua, "edg/"):
		browser = "Edge"
	case strings.Contains(ua, "opr/") || strings.Contains(ua, "opera"):
		browser = "Opera"
	case strings.Contains(ua, "samsungbrowser"):
		browser = "Samsung Internet"
	case strings.Contains(ua, "firefox/") || strings.Contains(ua, "fxios"):
		browser = "Firefox"
	case strings.Contains(ua, "chrome/") || strings.Contains(ua, "crios"):
		browser = "Chrome"
	case strings.Contains(ua, "safari/"):
		browser = "Safari"
	case strings.Contains(ua, "okhttp") || strings.Contains(ua, "dalvik"):
		browser = "Android app"
	case strings.Contains(ua, "cfnetwork"):
		browser = "iOS app"
	case strings.Contains(ua, "curl/"):
		browser = "curl"
	}

	os := ""
	switch {
	case strings.Contains(ua, "android"):
		os = "Android"
	case strings.Contains(ua, "iphone"):
		os = "iPhone"
	case strings.Contains(ua, "ipad"):
		os = "iPad"
	case strings.Contains(ua, "windows"):
		os = "Windows"
	case strings.Contains(ua, "mac os x") || strings.Contains(ua, "macintosh"):
		os = "macOS"
	case strings.Contains(ua, "cros"):
		os = "ChromeOS"
	case strings.Contains(ua, "linux"):
		os = "Linux"
	}
	name := browser
	if os != "" {
		name += " on " + os
	}
	if len(name) > maxDeviceLen {
		name = name[:maxDeviceLen]
	}
	return name
}
