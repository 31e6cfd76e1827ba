package console

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	goqr "github.com/piglig/go-qr"
)

// QR codes for posters are drawn with github.com/piglig/go-qr (see
// docs/console/growth.md for the choice): it gives the modules, and the
// picture is a two-colour PNG drawn here, each module qrScale pixels, in a
// white border of qrBorder modules (the quiet zone scanners need).
const (
	qrScale  = 10
	qrBorder = 4
)

// writeQR writes text as a QR code PNG, with medium error correction (a
// poster may be creased or photographed at an angle).
func writeQR(w io.Writer, text string) error {
	q, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return fmt.Errorf("encode QR code: %w", err)
	}
	n := q.Size() + 2*qrBorder
	img := image.NewPaletted(image.Rect(0, 0, n*qrScale, n*qrScale), color.Palette{color.White, color.Black})
	for y := 0; y < q.Size(); y++ {
		for x := 0; x < q.Size(); x++ {
			if !q.Module(x, y) {
				continue
			}
			for dy := 0; dy < qrScale; dy++ {
				row := img.Pix[((y+qrBorder)*qrScale+dy)*img.Stride:]
				for dx := 0; dx < qrScale; dx++ {
					row[(x+qrBorder)*qrScale+dx] = 1
				}
			}
		}
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("write QR code: %w", err)
	}
	return nil
}
