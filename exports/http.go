package exports

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/skillswap/skillswap/domain"
)

// Handler serves GET /exports/{id}?token=...: the archive of a READY export to whoever holds
// its emailed link. Answers: 200 with the zip; 404 for anything that is not a genuine, live
// link (malformed, tampered, another export's token, archive deleted); 403 for a genuine link
// past its expiry. The bodies say no more than the status.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The token is a secret: keep it out of Referer headers, and the archive out of caches.
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		archive, e, err := s.Download(r.Context(), r.PathValue("id"), r.URL.Query().Get("token"))
		if err != nil {
			var de *domain.Error
			switch {
			case errors.As(err, &de) && de.Kind == domain.KindForbidden:
				http.Error(w, "this link has expired", http.StatusForbidden)
			case errors.As(err, &de) && de.Kind == domain.KindNotFound:
				http.NotFound(w, r)
			default:
				s.log.ErrorContext(r.Context(), "data export download", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="skillswap-data-`+e.ID.String()+`.zip"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(archive)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(archive)
	})
}
