// Nayuki's QR Code generator (Debian's libqrcodegen-dev): the residents' signs' codes.
#include <qrcodegen/qrcodegen.h>
