// The page shown instead of an office page the server cannot send now.

import { boot } from "./field-common.js";

boot({ render: async () => {} });
