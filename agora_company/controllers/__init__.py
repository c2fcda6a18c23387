from . import approval, company
