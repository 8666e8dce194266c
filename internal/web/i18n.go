package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// Languages of the pages: Spanish of Colombia first, English second.
const (
	langES = "es-CO"
	langEN = "en"
)

var matcher = language.NewMatcher([]language.Tag{language.MustParse(langES), language.English})

// pickLang chooses the page language: ?lang=en|es, else the browser's
// Accept-Language, else Spanish. explicit reports a ?lang choice, which
// links then carry along.
func pickLang(r *http.Request) (lang string, explicit bool) {
	switch q := strings.ToLower(r.URL.Query().Get("lang")); {
	case strings.HasPrefix(q, "en"):
		return langEN, true
	case strings.HasPrefix(q, "es"):
		return langES, true
	}
	return fromAccept(r.Header.Get("Accept-Language")), false
}

func fromAccept(header string) string {
	if header == "" {
		return langES
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return langES
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return langEN
	}
	return langES
}

// authLang is the language an OpenID request asks for with ui_locales,
// unless ?lang chose one.
func authLang(r *http.Request, uiLocales []string) (string, bool) {
	if lang, explicit := pickLang(r); explicit {
		return lang, true
	}
	for _, l := range uiLocales {
		switch strings.ToLower(l)[:min(2, len(l))] {
		case "en":
			return langEN, true
		case "es":
			return langES, true
		}
	}
	return "", false
}

func shortLang(lang string) string {
	if lang == langEN {
		return "en"
	}
	return "es"
}

// messagesJSON is the messages of lang that the scripts use, as JSON.
func messagesJSON(lang string) string {
	out := map[string]string{}
	for k, v := range messages[lang] {
		if strings.HasPrefix(k, "js_") {
			out[strings.TrimPrefix(k, "js_")] = v
		}
	}
	b, _ := json.Marshal(out) // a map of strings always marshals
	return string(b)
}

// messages are the pages' texts; keys starting js_ go to the scripts.
var messages = map[string]map[string]string{
	// #nosec G101 -- page texts; "password" and "token" are words on them.
	langES: {
		"skip": "Ir al contenido",
		"needs_js": "Esta página necesita JavaScript para comunicarse con el " +
			"servicio.",
		"email":         "Correo electrónico",
		"password":      "Contraseña",
		"new_password":  "Contraseña nueva",
		"password_hint": "Use una frase larga que no use en otros sitios.",
		"name":          "Nombre completo",
		"code":          "Código",
		"login_title":   "Ingresar",
		"sign_in":       "Ingresar",
		"passkey_login": "Ingresar con una llave de acceso",
		"or":            "o",
		"forgot":        "¿Olvidó su contraseña?",
		"no_account":    "¿No tiene cuenta? Regístrese",
		"have_account":  "¿Ya tiene cuenta? Ingrese",
		"mfa_title":     "Verificación en dos pasos",
		"mfa_intro":     "Confirme que es usted con su segundo factor.",
		"mfa_method":    "Método",
		"verify":        "Verificar",
		"use_passkey":   "Usar una llave de acceso",
		"enroll_title":  "Active la verificación en dos pasos",
		"enroll_intro": "Su cuenta la requiere. Escanee el código QR con su " +
			"aplicación de autenticación (o escriba la clave) y luego ingrese el código de 6 " +
			"dígitos que muestra.",
		"enroll_secret": "Clave para escribir a mano:",
		"qr_alt":        "Código QR para su aplicación de autenticación",
		"activate":      "Activar",
		"codes_title":   "Sus códigos de recuperación",
		"codes_intro": "Guárdelos en un lugar seguro: cada uno sirve una vez si " +
			"pierde su segundo factor. No se volverán a mostrar.",
		"continue":     "Continuar",
		"signup_title": "Crear una cuenta",
		"signup":       "Crear cuenta",
		"verify_intro": "Le enviamos un código a su correo. Escríbalo aquí para " +
			"confirmarlo.",
		"verify_code":        "Confirmar correo",
		"verify-email_title": "Confirmar su correo",
		"reset_title":        "Cambiar la contraseña",
		"reset_intro": "Escriba el correo de su cuenta y le enviaremos un enlace " +
			"para elegir una contraseña nueva.",
		"reset_send":       "Enviar enlace",
		"reset_new_intro":  "Elija su contraseña nueva.",
		"reset_end_others": "Cerrar las demás sesiones abiertas",
		"reset_save":       "Guardar contraseña",
		"account_title":    "Su cuenta",
		"profile":          "Datos de la cuenta",
		"sessions":         "Sesiones abiertas",
		"factors":          "Segundo factor y llaves de acceso",
		"add_passkey":      "Añadir una llave de acceso",
		"apps":             "Aplicaciones conectadas",
		"consents":         "Autorizaciones de tratamiento de datos",
		"sign_out":         "Cerrar sesión",
		"signed-out_title": "Sesión cerrada",
		"signed_out_text":  "Cerró su sesión. Puede cerrar esta ventana.",
		"sign_in_again":    "Ingresar de nuevo",
		"consent_title":    "Autorizar el acceso",
		"consent_intro":    "quiere acceder a su cuenta. Si lo autoriza, podrá:",
		"consent_note": "Puede retirar este acceso cuando quiera en la página de su " +
			"cuenta.",
		"approve":              "Autorizar",
		"deny":                 "No autorizar",
		"scope_openid":         "Saber quién es usted (su identificador en este servicio).",
		"scope_profile":        "Ver su nombre.",
		"scope_email":          "Ver su correo electrónico y si está verificado.",
		"scope_phone":          "Ver su número de celular.",
		"scope_offline_access": "Seguir accediendo cuando usted no esté usando la aplicación.",
		"scope_other":          "Otros permisos que la aplicación solicitó.",
		"error_title":          "No pudimos continuar",
		"auth_request_unknown": "La solicitud de ingreso no existe o ya venció. Vuelva a la " +
			"aplicación e inténtelo de nuevo.",
		"js_generic": "Algo salió mal. Inténtelo de nuevo.",
		"js_network": "No hay conexión con el servicio. Revise su conexión e " +
			"inténtelo de nuevo.",
		"js_invalid_credentials": "El correo o la contraseña no son correctos.",
		"js_invalid_code":        "El código no es válido o ya venció.",
		"js_challenge_spent":     "Demasiados intentos. Ingrese de nuevo.",
		"js_invalid_mfa_token":   "La verificación venció. Ingrese de nuevo.",
		"js_rate_limited": "Demasiados intentos seguidos. Espere un momento e inténtelo " +
			"de nuevo.",
		"js_account_locked":       "La cuenta está bloqueada temporalmente por intentos fallidos.",
		"js_validation_failed":    "Revise los campos marcados.",
		"js_passkey_failed":       "No se pudo usar la llave de acceso.",
		"js_passkey_added":        "Llave de acceso añadida.",
		"js_signing_in":           "Ingresando…",
		"js_signed_in":            "Listo. Entrando a su cuenta…",
		"js_code_sent":            "Le enviamos un código.",
		"js_send_sms":             "Enviar un código por SMS a",
		"js_send_email":           "Enviar un código por correo a",
		"js_method_totp":          "Aplicación de autenticación",
		"js_method_recovery_code": "Código de recuperación",
		"js_method_sms":           "Código por SMS",
		"js_method_email":         "Código por correo",
		"js_registered": "Si el correo puede registrarse, le enviamos un código para " +
			"verificarlo.",
		"js_verified":      "Su correo quedó confirmado. Ya puede ingresar.",
		"js_email_changed": "Su cuenta ya usa el correo nuevo.",
		"js_reset_sent": "Si existe una cuenta con ese correo, le enviamos un enlace " +
			"para cambiar la contraseña.",
		"js_reset_done": "Su contraseña quedó cambiada. Ya puede ingresar con ella.",
		"js_link_required": "Ya existe una cuenta con ese correo. Ingrese con su " +
			"contraseña para vincular esta forma de ingreso.",
		"js_social_with": "Ingresar con",
		"js_social_failed": "No pudimos completar el ingreso con esa cuenta. Intente de " +
			"nuevo.",
		"js_social_cancelled": "Se canceló el ingreso con esa cuenta.",
		"js_step_up_required": "Por seguridad, esta acción pide un ingreso reciente: cierre " +
			"la sesión, ingrese de nuevo y repítala.",
		"js_reauth":        "Por seguridad, ingrese de nuevo para continuar.",
		"js_none":          "Nada por ahora.",
		"js_apps_none":     "No ha conectado ninguna aplicación.",
		"js_current":       "esta sesión",
		"js_end":           "Cerrar",
		"js_revoke":        "Retirar acceso",
		"js_granted":       "otorgado",
		"js_refused":       "negado",
		"js_last_seen":     "última actividad",
		"js_passkey":       "Llave de acceso",
		"js_recovery_left": "Códigos de recuperación disponibles",
		"js_loading":       "Cargando…",
	},
	// #nosec G101 -- page texts; "password" and "token" are words on them.
	langEN: {
		"skip":          "Skip to content",
		"needs_js":      "This page needs JavaScript to talk to the service.",
		"email":         "Email",
		"password":      "Password",
		"new_password":  "New password",
		"password_hint": "Use a long phrase you do not use on other sites.",
		"name":          "Full name",
		"code":          "Code",
		"login_title":   "Sign in",
		"sign_in":       "Sign in",
		"passkey_login": "Sign in with a passkey",
		"or":            "or",
		"forgot":        "Forgot your password?",
		"no_account":    "No account? Sign up",
		"have_account":  "Already have an account? Sign in",
		"mfa_title":     "Two-step verification",
		"mfa_intro":     "Confirm it is you with your second factor.",
		"mfa_method":    "Method",
		"verify":        "Verify",
		"use_passkey":   "Use a passkey",
		"enroll_title":  "Turn on two-step verification",
		"enroll_intro": "Your account requires it. Scan the QR code with your " +
			"authenticator app (or type the key), then enter the 6-digit code it shows.",
		"enroll_secret": "Key to type by hand:",
		"qr_alt":        "QR code for your authenticator app",
		"activate":      "Turn on",
		"codes_title":   "Your recovery codes",
		"codes_intro": "Keep them somewhere safe: each works once if you lose your " +
			"second factor. They will not be shown again.",
		"continue":     "Continue",
		"signup_title": "Create an account",
		"signup":       "Create account",
		"verify_intro": "We sent a code to your email. Type it here to confirm the " +
			"address.",
		"verify_code":        "Confirm email",
		"verify-email_title": "Confirm your email",
		"reset_title":        "Change your password",
		"reset_intro": "Type your account's email and we will send a link to choose " +
			"a new password.",
		"reset_send":       "Send link",
		"reset_new_intro":  "Choose your new password.",
		"reset_end_others": "Sign out my other sessions",
		"reset_save":       "Save password",
		"account_title":    "Your account",
		"profile":          "Account details",
		"sessions":         "Active sessions",
		"factors":          "Second factor and passkeys",
		"add_passkey":      "Add a passkey",
		"apps":             "Connected apps",
		"consents":         "Data processing consents",
		"sign_out":         "Sign out",
		"signed-out_title": "Signed out",
		"signed_out_text":  "You signed out. You may close this window.",
		"sign_in_again":    "Sign in again",
		"consent_title":    "Allow access",
		"consent_intro": "wants to access your account. If you allow it, it will be " +
			"able to:",
		"consent_note": "You can take this access back at any time on your account " +
			"page.",
		"approve":              "Allow",
		"deny":                 "Do not allow",
		"scope_openid":         "Know who you are (your identifier on this service).",
		"scope_profile":        "See your name.",
		"scope_email":          "See your email address and whether it is verified.",
		"scope_phone":          "See your mobile number.",
		"scope_offline_access": "Keep access while you are not using the app.",
		"scope_other":          "Other permissions the app asked for.",
		"error_title":          "We could not continue",
		"auth_request_unknown": "The sign-in request does not exist or has expired. Go back " +
			"to the app and try again.",
		"js_generic": "Something went wrong. Please try again.",
		"js_network": "The service cannot be reached. Check your connection and try " +
			"again.",
		"js_invalid_credentials":  "The email or password is not correct.",
		"js_invalid_code":         "The code is not valid or has expired.",
		"js_challenge_spent":      "Too many attempts. Please sign in again.",
		"js_invalid_mfa_token":    "The verification expired. Please sign in again.",
		"js_rate_limited":         "Too many attempts in a row. Wait a moment and try again.",
		"js_account_locked":       "The account is temporarily locked after failed attempts.",
		"js_validation_failed":    "Check the highlighted fields.",
		"js_passkey_failed":       "The passkey could not be used.",
		"js_passkey_added":        "Passkey added.",
		"js_signing_in":           "Signing in…",
		"js_signed_in":            "Done. Opening your account…",
		"js_code_sent":            "We sent you a code.",
		"js_send_sms":             "Text a code to",
		"js_send_email":           "Email a code to",
		"js_method_totp":          "Authenticator app",
		"js_method_recovery_code": "Recovery code",
		"js_method_sms":           "Code by text message",
		"js_method_email":         "Code by email",
		"js_registered": "If the address can be registered, we sent it a code to " +
			"verify it.",
		"js_verified":      "Your email is confirmed. You can sign in now.",
		"js_email_changed": "Your account now uses the new email address.",
		"js_reset_sent": "If an account uses that address, we sent it a link to change " +
			"the password.",
		"js_reset_done": "Your password is changed. You can sign in with it now.",
		"js_link_required": "An account with that email exists. Sign in with your " +
			"password to link this way of signing in.",
		"js_social_with": "Sign in with",
		"js_social_failed": "We could not complete the sign-in with that account. Try " +
			"again.",
		"js_social_cancelled": "The sign-in with that account was cancelled.",
		"js_step_up_required": "For your security, this needs a recent sign-in: sign out, " +
			"sign in again and repeat it.",
		"js_reauth":        "For your security, sign in again to continue.",
		"js_none":          "Nothing yet.",
		"js_apps_none":     "You have not connected any app.",
		"js_current":       "this session",
		"js_end":           "End",
		"js_revoke":        "Remove access",
		"js_granted":       "granted",
		"js_refused":       "refused",
		"js_last_seen":     "last active",
		"js_passkey":       "Passkey",
		"js_recovery_left": "Recovery codes left",
		"js_loading":       "Loading…",
	},
}
